"""The private S3-compatible bucket documents are kept in when ``FILE_STORAGE=s3``.

Everything the portal does with stored files goes through Django's storage API, so a local folder
(one host) and a bucket (several web and worker hosts) behave the same: files are read, written
and deleted by name and never handed out by URL; the portal's own views check who asks and serve
the bytes themselves. Selected in portal/settings/storage.py.
"""

from __future__ import annotations

from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ConnectionError as S3ConnectionError
from botocore.exceptions import HTTPClientError
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage
from storages.backends.s3 import S3Storage

# Reads above this spill from memory to a temporary file (the limit Django uses for uploads), so a
# 50 MB document read from the bucket does not sit in a worker's memory.
SPOOL_MAX_MEMORY = int(2.5 * 1024 * 1024)
MiB = 1024 * 1024
# A bucket that cannot be reached (refused, timed out, cut off) after boto3's own tries: worth a
# later retry, like an unreachable gateway. Missing objects and refused credentials are not.
STORAGE_UNREACHABLE = (S3ConnectionError, HTTPClientError)


def folder_listing(storage: Storage, folder: str) -> tuple[list[str], list[str]]:
    """A folder's subfolders and files; both empty for a folder nothing was ever stored in.

    A local storage raises for a missing directory, and a bucket has no directories at all.
    """
    try:
        return storage.listdir(folder)
    except FileNotFoundError:
        return [], []


def _transfer_config() -> TransferConfig:
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2, max_io_queue=8)
    # An upload from a stream holds its parts in memory, by default up to ten at a time.
    config.max_in_memory_upload_chunks = 2
    return config


class DirectFileUrlRefused(ImproperlyConfigured):
    """Code asked the bucket for a direct URL: stored files are served only by the portal's views."""


class PrivateS3Storage(S3Storage):  # type: ignore[misc]  # django-storages ships no type information
    """A private bucket: no ACL sent (the bucket's private default applies), no overwriting, no URLs.

    ``timeout`` (seconds) bounds each request; a request that fails for a temporary reason
    (connection, 5xx, throttling) is tried 3 times in all. Transfers use 5 MB parts (the smallest S3
    allows), two at a time, and reads spool to a temporary file: memory use does not grow with the
    document (measured: about 21 MiB to store and 8 MiB to read and send a 50 MB file).
    """

    def __init__(self, *, timeout: float = 10.0, **options: Any) -> None:
        options.update(
            default_acl=None,
            file_overwrite=False,
            querystring_auth=False,
            max_memory_size=SPOOL_MAX_MEMORY,
            transfer_config=_transfer_config(),
            client_config=Config(
                connect_timeout=min(timeout, 5.0),
                read_timeout=timeout,
                retries={"max_attempts": 3, "mode": "standard"},
                signature_version="s3v4",
            ),
        )
        super().__init__(**options)

    def url(self, name: str, *args: Any, **kwargs: Any) -> str:
        # A presigned or plain bucket URL would skip the portal's access checks and download trail.
        raise DirectFileUrlRefused("stored files are served through the portal's views, never by bucket URL")
