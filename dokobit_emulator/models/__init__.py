"""Emulator state. Kept in the database so the web process and Celery workers share it.

The emulator has no migrations of its own while it is being built; its tables are created with
``migrate --run-syncdb`` (and by the test database setup).
"""

from dokobit_emulator.models.faults import Fault
from dokobit_emulator.models.gateway import *  # noqa: F403
from dokobit_emulator.models.identity import *  # noqa: F403

__all__ = ["Fault"]
