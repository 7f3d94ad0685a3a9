from django.urls import path

from organisations import views

app_name = "organisations"
urlpatterns = [
    path("organisations/new/", views.organisation_new, name="new"),
    path("space/", views.space_switch, name="space-switch"),
    path("organisations/<uuid:uuid>/members/", views.members, name="members"),
    path("organisations/<uuid:uuid>/invitations/new/", views.invitation_new, name="invitation-new"),
    path(
        "organisations/<uuid:uuid>/invitations/<uuid:invitation_uuid>/resend/",
        views.invitation_resend_view,
        name="invitation-resend",
    ),
    path(
        "organisations/<uuid:uuid>/invitations/<uuid:invitation_uuid>/revoke/",
        views.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path("organisations/<uuid:uuid>/members/<uuid:member_uuid>/role/", views.member_role, name="member-role"),
    path("organisations/<uuid:uuid>/members/<uuid:member_uuid>/remove/", views.member_remove, name="member-remove"),
    path("organisations/<uuid:uuid>/leave/", views.leave, name="leave"),
    path("organisations/<uuid:uuid>/settings/", views.settings_page, name="settings"),
    path("organisations/<uuid:uuid>/logo/", views.logo, name="logo"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
]
