"""FILE_STORAGE picks where documents are kept; a bucket is private, never overwritten and never linked to."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.logging import JsonFormatter, RedactingFilter
from portal.settings.storage import storage_settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "canary/S3+secret-key-0123456789ABCDEFGHIJ"

PROBE = (
    "import django, json; django.setup(); from django.core.files.storage import storages; "
    "s = storages['default']; config = getattr(s, 'client_config', None); "
    "print(json.dumps([type(s).__name__, getattr(s, 'bucket_name', None), getattr(s, 'location', None), "
    "getattr(s, 'endpoint_url', None), getattr(s, 'file_overwrite', None), getattr(s, 'default_acl', 'unset'), "
    "getattr(s, 'querystring_auth', None), getattr(config, 'read_timeout', None)]))"
)


def storage_for(**environ: str) -> list:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "FILE_STORAGE", "AWS_"))}
    env.update(environ, DJANGO_SETTINGS_MODULE="portal.settings.base")
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_local_folder_by_default():
    assert storage_for()[0] == "FileSystemStorage"


def test_s3_from_the_environment_is_a_private_bucket():
    name, bucket, location, endpoint, overwrite, acl, querystring_auth, read_timeout = storage_for(
        FILE_STORAGE="s3",
        S3_BUCKET="portal-docs",
        S3_ENDPOINT_URL="http://127.0.0.1:9000",
        S3_REGION="eu-north-1",
        S3_ACCESS_KEY_ID="key",
        S3_SECRET_ACCESS_KEY=SECRET,
        S3_KEY_PREFIX="/production/",
        S3_TIMEOUT="7",
    )
    assert name == "PrivateS3Storage"
    assert bucket == "portal-docs"
    assert location == "production"
    assert endpoint == "http://127.0.0.1:9000"
    assert overwrite is False
    assert acl is None
    assert querystring_auth is False
    assert read_timeout == 7


@pytest.mark.parametrize(
    ("backend", "bucket", "message"),
    [("s3", "", "FILE_STORAGE=s3 needs S3_BUCKET"), ("nfs", "x", "FILE_STORAGE must be 'local' or 's3'")],
)
def test_an_incomplete_or_unknown_choice_is_refused_at_start(backend, bucket, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        storage_settings(
            backend=backend,
            bucket=bucket,
            endpoint_url="",
            region="",
            access_key_id="",
            secret_access_key="",
            key_prefix="",
            timeout=10,
        )


def test_a_bucket_never_hands_out_a_url():
    from portal.storage import DirectFileUrlRefused, PrivateS3Storage

    storage = PrivateS3Storage(bucket_name="portal-docs", endpoint_url="http://127.0.0.1:9", region_name="eu-north-1")
    with pytest.raises(DirectFileUrlRefused):
        storage.url("documents/x.pdf")


def test_the_s3_secret_key_is_masked_in_logs(settings):
    settings.S3_SECRET_ACCESS_KEY = SECRET
    record = logging.LogRecord("botocore", logging.ERROR, __file__, 1, "credentials %s rejected", (SECRET,), None)
    RedactingFilter().filter(record)
    line = JsonFormatter().format(record)
    assert SECRET not in line
    assert json.loads(line)["message"] == "credentials [secret] rejected"
