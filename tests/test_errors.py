"""One shape for the failures a person is told about, whichever app raises them."""

from __future__ import annotations

import json

from django.utils import translation

from identity.accounts import AccountDeletionRefused
from identity.errors import NotStaff
from portal.errors import UserFacingError, json_error_for
from signing.errors import SignerAlreadyAdded
from signing.privacy import AccountHasOpenSignings


def test_identity_and_signing_errors_share_one_base_and_one_json_body():
    with translation.override("en"):
        for err in (NotStaff(), SignerAlreadyAdded(), AccountHasOpenSignings()):
            assert isinstance(err, UserFacingError)
            response = json_error_for(err)
            body = json.loads(response.content)
            assert response.status_code == err.status
            assert body == {"status": "error", "error": err.error, "message": str(err.message)}


def test_the_log_message_of_an_identity_error_is_its_machine_name_never_the_page_text():
    err = NotStaff()
    assert str(err) == err.log_message == "not_staff"


def test_a_refused_account_deletion_is_a_conflict_with_signings_words():
    with translation.override("en"):
        err = AccountHasOpenSignings()
        assert isinstance(err, AccountDeletionRefused)
        assert err.status == 409
        assert str(err.message).startswith("A document of yours is still being signed.")
