"""The services fixtures (PostgreSQL, Redis, real workers) for the threat tests that need them."""

from tests.services.conftest import portal_worker, postgres, redis_url  # noqa: F401
