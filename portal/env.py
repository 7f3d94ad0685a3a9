"""The one place that reads the environment (django-environ)."""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is read when present (never committed); real deployments set the environment, which
# wins over the file. PORTAL_DOTENV names another file; empty reads none (the test settings).
_dotenv = os.environ.get("PORTAL_DOTENV", str(BASE_DIR / ".env"))
if _dotenv:
    environ.Env.read_env(_dotenv, overwrite=False)
