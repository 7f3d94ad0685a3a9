"""Fixtures of the template and bulk-send tests: the signing tests' owner, PDFs and the in-process emulator."""

from __future__ import annotations

import pytest

from tests.organisations.conftest import org_world  # noqa: F401  (organisations' templates and bulk sends)
from tests.signing.conftest import _fast_polling, celery_retries_inline, emulator, owner, signer_data  # noqa: F401


@pytest.fixture
def stranger(make_user):
    return make_user(country_code="LV", personal_code="030303-10012", first_name="Bob", last_name="Stranger")
