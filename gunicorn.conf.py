"""Gunicorn settings: the web process of the Procfile and the PF2 benchmark (bench/pf2_postbacks.py) use
this file, so the benchmark measures what production runs."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads: while one request waits for PostgreSQL (a postback's commit) or Redis, its worker serves
# another. Sync workers sat idle in those waits (PF2 in the README).
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Access and error lines as JSON, with URL secrets (signer links, postback URLs), tokens and personal codes masked.
logger_class = "portal.gunicorn_logging.RedactingJsonLogger"
# The peers whose X-Forwarded-* headers are believed (the TLS proxy in front). The portal's rate
# limits read the same variable, with TRUSTED_PROXY_HOPS, to find the client's address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_worker_init(worker) -> None:
    """Freeze what the worker holds once the portal is loaded: the garbage collector's full passes
    skip those objects from then on.

    A loaded worker holds about 180,000 objects (Django, the URLconf, every view module) that live
    as long as it does, and a full pass visited each of them: 110-150 ms alone, up to 360 ms under
    load, every thread of the worker stopped meanwhile. Measured in PF2's run, the longest pause
    went from 320-360 ms to 40-65 ms and a worker's time in the collector halved (README).
    """
    import gc

    from django.urls import get_resolver

    # What the first request would import (every view module, through the URLconf), loaded now
    # so that it is frozen with the rest.
    get_resolver().url_patterns  # noqa: B018
    gc.collect()  # nothing unreachable is frozen
    gc.freeze()
