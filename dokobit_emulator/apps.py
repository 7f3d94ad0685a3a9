from django.apps import AppConfig


class DokobitEmulatorConfig(AppConfig):
    name = "dokobit_emulator"
    verbose_name = "Dokobit sandbox emulator"
