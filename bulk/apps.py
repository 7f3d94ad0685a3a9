from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BulkConfig(AppConfig):
    name = "bulk"
    verbose_name = "Templates and bulk sends"

    def ready(self) -> None:
        # Registers the tasks with Celery, so signing.dispatch can queue them by name.
        from bulk import tasks  # noqa: F401
        from bulk.privacy import ACCOUNT_DATA
        from bulk.staff_roles import bulk_staff_roles_ensure
        from identity.accounts import account_data_provider_register

        # A person's templates and bulk sends join their data download and go with their account.
        account_data_provider_register(ACCOUNT_DATA)

        # After this app's migrate: auth has made its permissions by then (as signing.apps does).
        post_migrate.connect(bulk_staff_roles_ensure, sender=self, dispatch_uid="bulk.staff_roles")
