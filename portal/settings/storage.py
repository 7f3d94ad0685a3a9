"""The STORAGES["default"] entry for FILE_STORAGE: a local folder or a private S3-compatible bucket."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured


def storage_settings(
    *,
    backend: str,
    bucket: str,
    endpoint_url: str,
    region: str,
    access_key_id: str,
    secret_access_key: str,
    key_prefix: str,
    timeout: float,
) -> dict[str, Any]:
    if backend == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if backend != "s3":
        raise ImproperlyConfigured(f"FILE_STORAGE must be 'local' or 's3', not {backend!r}")
    if not bucket:
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET")
    return {
        "BACKEND": "portal.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # Empty: AWS itself, with the region from S3_REGION or the machine's AWS configuration.
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            # Empty: boto3's own chain (an instance role, AWS_* variables), so no key needs to be set.
            "access_key": access_key_id or None,
            "secret_key": secret_access_key or None,
            "location": key_prefix.strip("/"),
            "timeout": timeout,
        },
    }
