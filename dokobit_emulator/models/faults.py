from django.db import models


class Fault(models.Model):
    """A fault switch: the next ``remaining`` calls to ``service``/``endpoint`` misbehave as ``mode``.

    ``endpoint`` is a short name chosen by each emulator view (e.g. ``authentication.create``,
    ``file.upload``, ``signing.create``, ``postback``); ``*`` matches every endpoint of a service.
    """

    service = models.CharField(max_length=16)  # "identity" or "gateway"
    endpoint = models.CharField(max_length=64, default="*")
    mode = models.CharField(max_length=32)
    remaining = models.PositiveIntegerField(default=1)
    delay = models.FloatField(default=0.0, help_text="seconds, for time-out modes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "dokobit_emulator"

    def __str__(self) -> str:
        return f"{self.service}/{self.endpoint}: {self.mode} x{self.remaining}"
