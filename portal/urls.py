from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from identity import views as identity_views
from portal import views

# Staff see the portal's name, not Django's, on every admin page and in the browser tab.
admin.site.site_header = _("Portal administration")
admin.site.site_title = _("Portal administration")
admin.site.index_title = _("Documents, signings and accounts")
# The signing app words the 400 page: only its upload form can send too many fields.
handler400 = "signing.error_pages.bad_request"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    # signing first: its postback URL takes the most traffic, and resolving it tried every
    # identity pattern on the way (PF2 in the README). The two apps share no paths.
    path("", include("signing.urls")),
    path("", include("identity.urls")),
    path("", include("organisations.urls")),
    path("", include("bulk.urls")),
    # The admin's login page with the eID button; the rest of the admin is Django's own.
    path(f"{settings.ADMIN_URL_PATH}login/", identity_views.admin_login, name="admin-login"),
    path(settings.ADMIN_URL_PATH, admin.site.urls),
]

if "dokobit_emulator" in settings.INSTALLED_APPS:
    urlpatterns.append(path(f"{settings.DOKOBIT_EMULATOR_PREFIX}/", include("dokobit_emulator.urls")))
