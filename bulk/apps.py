from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "bulk"
    verbose_name = "Templates and bulk sends"

    def ready(self) -> None:
        # Registers the tasks with Celery, so signing.dispatch can queue them by name.
        from bulk import tasks  # noqa: F401
        from bulk.privacy import ACCOUNT_DATA
        from identity.accounts import account_data_provider_register

        # A person's templates and bulk sends join their data download and go with their account.
        account_data_provider_register(ACCOUNT_DATA)
