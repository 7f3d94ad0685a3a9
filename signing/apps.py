from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class SigningConfig(AppConfig):
    name = "signing"
    verbose_name = "Signing"

    def ready(self) -> None:
        from identity.accounts import account_data_provider_register

        # Registers the tasks with Celery, so signing.dispatch can queue them by name.
        from signing import tasks  # noqa: F401
        from signing.checks import signed_file_of_largest_upload_fits
        from signing.privacy import ACCOUNT_DATA
        from signing.staff_roles import staff_roles_ensure

        checks.register(signed_file_of_largest_upload_fits)

        # A person's documents join their data download and go with their account.
        account_data_provider_register(ACCOUNT_DATA)

        # After this app's migrate: auth has made the permissions of identity and signing by then.
        post_migrate.connect(staff_roles_ensure, sender=self, dispatch_uid="signing.staff_roles")
