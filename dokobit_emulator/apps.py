from django.apps import AppConfig
from django.core import checks


class DokobitEmulatorConfig(AppConfig):
    name = "dokobit_emulator"
    verbose_name = "Dokobit sandbox emulator"

    def ready(self) -> None:
        from dokobit_emulator.checks import emulator_accepts_the_largest_upload, emulator_not_in_production

        checks.register(emulator_not_in_production)
        checks.register(emulator_accepts_the_largest_upload)
