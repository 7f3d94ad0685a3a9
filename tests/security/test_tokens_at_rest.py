"""Issue 13, finding 12: Dokobit's signing and file tokens and the identity gateway's session
tokens were stored in plain columns. They are kept encrypted now (as the signer tokens are), with a
keyed hash where a token must be unique or found, and a migration encrypts rows written before.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

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


BEFORE = [("identity", "0004_identitysession_return_secret"), ("signing", "0007_purged_signer_link")]
AFTER = [("identity", "0005_identity_session_token_encrypted"), ("signing", "0008_signing_tokens_encrypted")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_rows_and_going_back_decrypts_them():
    old = migrate(BEFORE)
    try:
        owner = old.get_model("identity", "User").objects.create(username="owner")
        document = old.get_model("signing", "Document").objects.create(
            owner=owner, title="Lease", file="documents/x.pdf", sha256="0" * 64
        )
        OldSigning = old.get_model("signing", "Signing")
        sent = OldSigning.objects.create(document=document, dokobit_token=SIGNING_TOKEN, dokobit_file_token=FILE_TOKEN)
        queued = OldSigning.objects.create(document=document, dokobit_token=None, dokobit_file_token="")
        old.get_model("identity", "IdentitySession").objects.create(
            token=SESSION_TOKEN, purpose="login", browser_session="b" * 64
        )

        migrate(AFTER)
        stored = text_in_table("signing_signing") + text_in_table("identity_identitysession")
        assert SIGNING_TOKEN not in stored
        assert FILE_TOKEN not in stored
        assert SESSION_TOKEN not in stored
        signing = Signing.objects.get(pk=sent.pk)
        assert (signing.dokobit_token, signing.dokobit_file_token) == (SIGNING_TOKEN, FILE_TOKEN)
        assert Signing.objects.get(pk=queued.pk).dokobit_token is None
        assert Signing.objects.get(pk=queued.pk).dokobit_token_lookup is None
        assert IdentitySession.objects.get_by_token(SESSION_TOKEN).token == SESSION_TOKEN

        back = migrate(BEFORE)
        OldSigning = back.get_model("signing", "Signing")
        assert OldSigning.objects.get(pk=sent.pk).dokobit_token == SIGNING_TOKEN
        assert OldSigning.objects.get(pk=sent.pk).dokobit_file_token == FILE_TOKEN
        assert OldSigning.objects.get(pk=queued.pk).dokobit_token is None
        assert back.get_model("identity", "IdentitySession").objects.get().token == SESSION_TOKEN
    finally:
        migrate(AFTER)
