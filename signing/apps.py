from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SigningConfig(AppConfig):
    name = "signing"
    verbose_name = "Signing"

    def ready(self) -> None:
        # Registers the tasks with Celery, so signing.dispatch can queue them by name.
        from signing import tasks  # noqa: F401
        from signing.staff_roles import staff_roles_ensure

        # After this app's migrate: auth has made the permissions of identity and signing by then.
        post_migrate.connect(staff_roles_ensure, sender=self, dispatch_uid="signing.staff_roles")
