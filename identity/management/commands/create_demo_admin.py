"""Creates the demo staff account for local development and prints its credentials."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from identity.models import User

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "portal-demo-admin"


class Command(BaseCommand):
    help = "Create (or reset) the demo admin account; development only."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("The demo admin exists only in development (DEBUG=true).")
        user, _ = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True, "first_name": "Demo"}
        )
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        base = settings.PORTAL_BASE_URL
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "  Portal is starting at " + base,
                    f"  Demo admin: {base}/{settings.ADMIN_URL_PATH}",
                    f"  username: {DEMO_USERNAME}  password: {DEMO_PASSWORD} (or log in with a staff eID)",
                    f"  End users register with a test eID at {base}/register/ (Dokobit emulator).",
                    "",
                ]
            )
        )
