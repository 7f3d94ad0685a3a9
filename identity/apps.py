from django.apps import AppConfig
from django.core import checks


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from identity.checks import (
            personal_code_keys_configured,
            personal_code_keys_configured_for_deploy,
            staff_passwords_have_a_second_factor,
        )

        checks.register(staff_passwords_have_a_second_factor)
        checks.register(personal_code_keys_configured)
        checks.register(personal_code_keys_configured_for_deploy, deploy=True)
