"""The personal-code keys: production refuses the published ones, and the encryption key rotates."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from identity.models import IdentitySession, StaffSecondFactor, User
from identity.services import staff_second_factor_setup
from portal import crypto
from tests.helpers import PRODUCTION, ROOT, run_check
from tests.signing.conftest import live_signing, make_document, owner, signer_data  # noqa: F401

DEV_HASH_KEY = "dev-only-personal-code-hash-key"
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktcGVyc29uYWwtY29kZS1lbmMta2V5ISE="


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"PERSONAL_CODE_HASH_KEY": DEV_HASH_KEY}, ["identity.E002"]),
        ({"PERSONAL_CODE_ENCRYPTION_KEY": DEV_ENCRYPTION_KEY}, ["identity.E003"]),
        ({"PERSONAL_CODE_HASH_KEY": "!!!SET ME!!!", "PERSONAL_CODE_ENCRYPTION_KEY": "!!!SET ME!!!"}, ["E002", "E003"]),
        ({"PERSONAL_CODE_HASH_KEY": "", "PERSONAL_CODE_ENCRYPTION_KEY": " , "}, ["identity.E002", "identity.E003"]),
    ],
    ids=["dev-hash-key", "dev-encryption-key", "env-example-placeholders", "empty"],
)
def test_deploy_check_refuses_published_or_missing_keys(overrides, expected):
    result = run_check(**overrides)

    assert result.returncode != 0
    for check_id in expected:
        assert check_id in result.stdout + result.stderr


def test_deploy_check_refuses_the_development_defaults_when_the_keys_are_not_set():
    # Production values without the two keys: the settings fall back to the published ones.
    result = run_check(PERSONAL_CODE_HASH_KEY="", PERSONAL_CODE_ENCRYPTION_KEY="")
    unset = run_check(**{"PERSONAL_CODE_HASH_KEY": DEV_HASH_KEY, "PERSONAL_CODE_ENCRYPTION_KEY": DEV_ENCRYPTION_KEY})

    assert "identity.E002" in result.stdout + result.stderr
    assert "identity.E003" in unset.stdout + unset.stderr


def test_a_rotated_out_development_key_is_only_a_warning():
    new = Fernet.generate_key().decode()
    result = run_check(PERSONAL_CODE_ENCRYPTION_KEY=f"{new},{DEV_ENCRYPTION_KEY}")

    assert "identity.W004" in result.stdout + result.stderr
    assert "identity.E003" not in result.stdout + result.stderr


def test_every_manage_command_refuses_published_keys_with_real_gateways():
    """Not only ``check --deploy``: ``migrate`` (the release step) runs the same check and stops."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOKOBIT_", "DEBUG", "DJANGO_ALLOW_ASYNC"))}
    env.update(PRODUCTION, PERSONAL_CODE_HASH_KEY=DEV_HASH_KEY, PERSONAL_CODE_ENCRYPTION_KEY=DEV_ENCRYPTION_KEY)

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "identity.E002" in result.stderr
    assert "identity.E003" in result.stderr


# --- rotation ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rotation_round_trip_reencrypts_every_encrypted_value(settings, make_user, live_signing):  # noqa: F811
    # The key everything so far was encrypted with (the signing fixture included) becomes the old one.
    old, new = settings.PERSONAL_CODE_ENCRYPTION_KEY, Fernet.generate_key().decode()
    person = make_user(country_code="EE", personal_code="60001019906", first_name="Mary")
    staff = User.objects.create_superuser("ops", "pw-for-the-rotation-test")
    staff_second_factor_setup(user=staff)
    flow = IdentitySession.objects.create(
        token="f" * 64, purpose="register", browser_session="b" * 64, result_encrypted=crypto.encrypt_text("{}")
    )
    signer = live_signing.signers.order_by("position").first()
    # Re-read every object under the old key so their clear values are known.
    signer.refresh_from_db()
    clear = {
        "code": person.personal_code,
        "signer_code": signer.personal_code,
        "signer_token": signer.dokobit_token,
        "link": signer.link_token,
        "totp": crypto.decrypt_text(StaffSecondFactor.objects.get(user=staff).secret_encrypted),
    }

    settings.PERSONAL_CODE_ENCRYPTION_KEY = f"{new},{old}"
    out = io.StringIO()
    call_command("personal_codes_reencrypt", "--batch-size", "1", stdout=out)

    # Only the new key is needed from now on.
    settings.PERSONAL_CODE_ENCRYPTION_KEY = new
    person.refresh_from_db()
    signer.refresh_from_db()
    flow.refresh_from_db()
    assert person.personal_code == clear["code"]
    assert signer.personal_code == clear["signer_code"]
    assert signer.dokobit_token == clear["signer_token"]
    assert signer.link_token == clear["link"]
    assert crypto.decrypt_text(StaffSecondFactor.objects.get(user=staff).secret_encrypted) == clear["totp"]
    assert crypto.decrypt_text(flow.result_encrypted) == "{}"
    report = out.getvalue()
    # The person and the signing's owner; the staff account has no personal code.
    assert "identity.User.personal_code_encrypted: 2 re-encrypted" in report
    assert "identity.StaffSecondFactor.secret_encrypted: 1 re-encrypted" in report
    assert clear["code"] not in report

    # A second run finds nothing left to do.
    settings.PERSONAL_CODE_ENCRYPTION_KEY = f"{new},{old}"
    again = io.StringIO()
    call_command("personal_codes_reencrypt", stdout=again)
    assert "0 value(s) re-encrypted." in again.getvalue()


@pytest.mark.django_db
def test_the_old_key_alone_no_longer_reads_rotated_values(settings, make_user):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PERSONAL_CODE_ENCRYPTION_KEY = old
    person = make_user()
    settings.PERSONAL_CODE_ENCRYPTION_KEY = f"{new},{old}"

    dry = io.StringIO()
    call_command("personal_codes_reencrypt", "--dry-run", stdout=dry)
    assert "1 value(s) would be re-encrypted." in dry.getvalue()
    settings.PERSONAL_CODE_ENCRYPTION_KEY = old
    person.refresh_from_db()
    assert person.personal_code == "50001018865"  # the dry run changed nothing

    settings.PERSONAL_CODE_ENCRYPTION_KEY = f"{new},{old}"
    call_command("personal_codes_reencrypt", stdout=io.StringIO())
    settings.PERSONAL_CODE_ENCRYPTION_KEY = old
    person.refresh_from_db()
    with pytest.raises(InvalidToken):
        _ = person.personal_code


@pytest.mark.django_db
def test_new_values_are_encrypted_with_the_first_key(settings):
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PERSONAL_CODE_ENCRYPTION_KEY = f"{first}, {second}"

    token = crypto.encrypt_text("39912319999")

    assert Fernet(first.encode()).decrypt(token.encode()) == b"39912319999"
    with pytest.raises(InvalidToken):
        Fernet(second.encode()).decrypt(token.encode())
