"""Gives a staff password account the key of its authenticator app, and shows it once.

Run on the server, so only someone with access to it can enrol a phone; the password alone is
not enough. ``--reset`` replaces a lost phone's key (the old codes stop working).
"""

from typing import Any

import segno
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity import totp
from identity.models import StaffSecondFactor, User
from identity.services import staff_second_factor_setup

ISSUER = "Portal"


class Command(BaseCommand):
    help = "Set up the authenticator app of a staff account that logs in with a password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="replace an existing key")

    def handle(self, *args: Any, username: str, reset: bool, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None or not user.is_staff or not user.has_usable_password():
            raise CommandError(f"No staff account with the username {username!r} and a password.")
        if StaffSecondFactor.objects.filter(user=user).exists() and not reset:
            raise CommandError("This account has a key already; --reset replaces it.")
        secret = staff_second_factor_setup(user=user)
        uri = totp.provisioning_uri(secret, account=username, issuer=ISSUER)
        grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        self.stdout.write("Scan this with the authenticator app (or type the key):\n")
        # OutputWrapper is a TextIOBase; segno's hint names only typing.TextIO.
        segno.make(uri, error="m").terminal(out=self.stdout, compact=True)  # type: ignore[arg-type]
        self.stdout.write(f"\n  key: {grouped}\n  {uri}\n")
        self.stdout.write(
            f"Log in at {settings.PORTAL_BASE_URL}/{settings.ADMIN_URL_PATH} with the password and the app's code.\n"
        )
