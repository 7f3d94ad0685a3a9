from django.urls import path

from identity import views

app_name = "identity"
urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("register/", views.register_page, name="register"),
    path("register/details/", views.register_details, name="register_details"),
    path("profile/", views.profile, name="profile"),
    path("profile/data/", views.profile_data, name="profile_data"),
    path("profile/delete/", views.profile_delete, name="profile_delete"),
    path("logout/", views.logout, name="logout"),
    path("identity/session/", views.session_create, name="session_create"),
    path("identity/session/complete/", views.session_complete, name="session_complete"),
    path("identity/redirect/start/", views.redirect_start, name="redirect_start"),
    path("identity/redirect/return/", views.redirect_return, name="redirect_return"),
]
