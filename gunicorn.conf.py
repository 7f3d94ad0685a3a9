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
