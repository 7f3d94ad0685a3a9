"""A gunicorn worker freezes what it has loaded, so the collector's full passes skip it (gunicorn.conf.py)."""

from __future__ import annotations

import gc
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_worker_freezes_the_loaded_portal_with_every_view_module(unfrozen):
    hook = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_worker_init"]
    assert gc.get_freeze_count() == 0

    hook(worker=None)

    # Loaded through the URLconf (in a worker, before its first request).
    owner_views = sys.modules["signing.views.owner"]
    frozen = gc.get_freeze_count()
    # The loaded Django project: far more objects than the few a request leaves behind.
    assert frozen > 50_000
    # A full pass no longer visits them: what it still tracks is a small share of what is frozen.
    assert len(gc.get_objects()) < frozen / 4
    assert not any(obj is owner_views.__dict__ for obj in gc.get_objects())
