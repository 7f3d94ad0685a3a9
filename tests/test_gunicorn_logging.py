"""Gunicorn's own log lines (the Procfile's web process) are JSON and never carry a URL secret.

Gunicorn logs each request line before Django sees it, so this runs the real server with the
project's gunicorn.conf.py and reads what it printed.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except urllib.error.URLError:
        return 0  # not listening yet


def test_access_and_error_lines_are_json_and_mask_url_secrets(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    require(gunicorn.exists(), "gunicorn is not installed in this environment")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOKOBIT_", "LOG_", "DEBUG", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.base",
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        LOG_FORMAT="json",
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                *(str(gunicorn), "portal.wsgi", "--config", "gunicorn.conf.py", "--access-logfile", "-"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "1"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while _request(f"{base}/healthz") != 200:
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        link_token = secrets.token_urlsafe(32)
        postback_secret = secrets.token_urlsafe(32)
        fetch_token = secrets.token_urlsafe(40)
        signing_uuid = uuid.uuid4()
        # An unknown link gets the neutral "this link cannot be used" page.
        assert _request(f"{base}/sign/{link_token}/") == 403
        assert _request(f"{base}/postback/{signing_uuid}/{postback_secret}/", data=b'{"action": "x"}') == 404
        assert _request(f"{base}/fetch/{fetch_token}/") == 404
    finally:
        server.terminate()
        server.wait(timeout=30)

    output = log_path.read_text()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    access = [entry["message"] for entry in lines if entry["logger"] == "gunicorn.access"]
    assert any(f"/postback/{signing_uuid}/[secret]/" in message for message in access), access
    assert any("/sign/[secret]/" in message for message in access), access
    assert any("/fetch/[secret]/" in message for message in access), access
    assert any(entry["logger"] == "gunicorn.error" for entry in lines)
    for secret in (link_token, postback_secret, fetch_token):
        assert secret not in output
