from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from identity.accounts import account_data_provider_register
        from organisations.privacy import ACCOUNT_DATA

        # A person's memberships join their data download; their account's deletion asks first
        # whether an organisation would be left without an admin.
        account_data_provider_register(ACCOUNT_DATA)
