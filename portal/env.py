"""The one place that reads the environment (django-environ)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is read when present (never committed); real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
