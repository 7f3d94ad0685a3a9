"""Issue 13, finding 12: Dokobit's signing and file tokens and the identity gateway's session
tokens were stored in plain columns. They are kept encrypted now (as the signer tokens are), with a
keyed hash where a token must be unique or found.
"""

from __future__ import annotations

import pytest
from django.db import connection

from identity.models import IdentitySession
from portal.crypto import secret_lookup
from signing.models import Signing

SIGNING_TOKEN = "signing-token-canary-4f1d"
FILE_TOKEN = "file-token-canary-9a2c"
SESSION_TOKEN = "session-token-canary-77be"


def text_in_table(table: str) -> str:
    """Every value of every row of ``table`` as text (what a leaked dump would show)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


@pytest.mark.django_db
def test_tokens_are_stored_encrypted_and_read_back(live_signing):
    live_signing.dokobit_token = SIGNING_TOKEN
    live_signing.dokobit_file_token = FILE_TOKEN
    live_signing.save()
    IdentitySession.objects.create(token=SESSION_TOKEN, purpose="login", browser_session="b" * 64)

    stored = text_in_table("signing_signing") + text_in_table("identity_identitysession")
    for token in (SIGNING_TOKEN, FILE_TOKEN, SESSION_TOKEN):
        assert token not in stored

    signing = Signing.objects.get(pk=live_signing.pk)
    assert (signing.dokobit_token, signing.dokobit_file_token) == (SIGNING_TOKEN, FILE_TOKEN)
    assert Signing.objects.get(dokobit_token_lookup=secret_lookup(SIGNING_TOKEN)) == signing
    assert IdentitySession.objects.get_by_token(SESSION_TOKEN).token == SESSION_TOKEN


@pytest.mark.django_db
def test_a_signing_token_stays_unique(live_signing, make_document):
    from django.db import IntegrityError, transaction

    other = make_document(0, title="Other").signings.get()
    other.dokobit_token = live_signing.dokobit_token
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


@pytest.mark.django_db
def test_a_signing_not_at_dokobit_has_no_token(make_document):
    signing = make_document(0).signings.get()
    assert signing.dokobit_token is None
    assert signing.dokobit_file_token == ""
    assert signing.dokobit_token_lookup is None
