"""Emulator state. Kept in the database so the web process and Celery workers share it.

Its tables come with ``manage.py migrate`` (``dokobit_emulator/migrations``) whenever the app is
installed, that is whenever the emulator is on.
"""

from dokobit_emulator.models.faults import Fault
from dokobit_emulator.models.gateway import *  # noqa: F403
from dokobit_emulator.models.identity import *  # noqa: F403

__all__ = ["Fault"]
