"""PF2: postback ingest under load, gunicorn (2 workers) on PostgreSQL, next to a bare "ok" view.

Gunicorn runs with the production settings (gunicorn.conf.py: worker class and threads) for both
views; only the worker count and the address are fixed here.

Processing tasks are queued on a private Redis database that nobody consumes (purged afterwards),
so only the ingest is measured. Afterwards every distinct postback must have exactly one event.

The two views are loaded in turns (bare, postbacks, bare, ...: TURNS of each, SECONDS in all per
view; percentiles over every latency of a view's turns), so a change in the machine's speed during
the run weighs on both alike: on this machine the bare view alone moved by a third between
back-to-back runs, and a ratio of two 20 s phases taken one after the other moved with it.
"""

from __future__ import annotations

import json
import os
import random
import runpy
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

from bench.common import (
    REDIS_BASE,
    ROOT,
    bench_main,
    django_setup,
    migrate,
    percentile,
    private_database,
    run_inner,
)

GUNICORN_CONF = ROOT / "gunicorn.conf.py"
WORKERS = 2  # fixed by the issue
SIGNINGS = 3000
SECONDS = 20
TURNS = 4
CONCURRENCY = 8
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "13"))
DUPLICATE_SHARE = 0.2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed() -> list[tuple[str, str]]:
    """Signings with known postback secrets; returns (uuid, secret) pairs."""
    from identity.models import User
    from signing.models import Document, Signing
    from signing.selectors import token_hash

    owner = User.objects.create_user(country_code="LT", personal_code="50001018865", first_name="B", last_name="O")
    docs = Document.objects.bulk_create(
        Document(owner=owner, title=f"doc {i}", file=f"documents/b{i}.pdf", sha256="0" * 64) for i in range(SIGNINGS)
    )
    pairs = [secrets.token_urlsafe(32) for _ in docs]
    signings = Signing.objects.bulk_create(
        Signing(
            document=doc, status=Signing.Status.PENDING, dokobit_token=f"tok{i}", postback_secret_hash=token_hash(s)
        )
        for i, (doc, s) in enumerate(zip(docs, pairs, strict=True))
    )
    return [(str(sg.uuid), s) for sg, s in zip(signings, pairs, strict=True)]


def _requests(pairs: list[tuple[str, str]], count: int) -> tuple[list[tuple[str, str]], list[str]]:
    """Postbacks for many signings; a share repeats an earlier one. Returns (requests, identity per request)."""
    rng = random.Random(6)
    out: list[tuple[str, str]] = []
    keys: list[str] = []
    for n in range(count):
        if out and rng.random() < DUPLICATE_SHARE:
            j = rng.randrange(len(out))
            out.append(out[j])
            keys.append(keys[j])
            continue
        uuid, secret = pairs[n % len(pairs)]
        action = "signer_signed" if (n // len(pairs)) % 2 == 0 else "signing_completed"
        digest = f"{n // (2 * len(pairs)):064x}"
        body = json.dumps({"action": action, "signing": {"token": "x", "status": "pending"}, "file_digest": digest})
        out.append((f"/postback/{uuid}/{secret}/", body))
        keys.append(f"{uuid}|{action}|{digest}")
    return out, keys


def _load(port: int, requests: list[tuple[str, str]], seconds: float) -> dict:
    spec = json.dumps({"port": port, "requests": requests, "seconds": seconds, "concurrency": CONCURRENCY})
    out = subprocess.run(
        [sys.executable, "-m", "bench.loadgen"], input=spec, capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(out.stdout)


def _combined(turns: list[dict]) -> dict:
    """One view's turns as one load: requests over the time spent, percentiles over all latencies."""
    latencies = sorted(latency for turn in turns for latency in turn["latencies_ms"])
    statuses: dict[str, int] = {}
    for turn in turns:
        for status, count in turn["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    requests, seconds = sum(t["requests"] for t in turns), sum(t["seconds"] for t in turns)
    return {
        "requests": requests,
        "seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "statuses": statuses,
        "rps_per_turn": [t["rps"] for t in turns],
    }


def _gunicorn_config() -> dict:
    config = runpy.run_path(str(GUNICORN_CONF))
    return {key: config[key] for key in ("worker_class", "threads")}


def _wait_up(port: int) -> None:
    for _ in range(200):
        try:
            urllib.request.urlopen(
                urllib.request.Request(f"http://127.0.0.1:{port}/bench/ok/", method="POST", data=b"")
            )
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def inner() -> dict:
    django_setup()
    migrate()
    pairs = _seed()
    from signing.models import SigningEvent

    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)),
            *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--log-level", "error", "portal.wsgi"),
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        _wait_up(port)
        postbacks, keys = _requests(pairs, 200_000)
        bare_turns, ingest_turns, answered_ok, sent = [], [], [], 0
        for _ in range(TURNS):
            bare_turns.append(_load(port, [("/bench/ok/", "{}")] * 100_000, SECONDS / TURNS))
            turn = _load(port, postbacks[sent:], SECONDS / TURNS)
            answered_ok += [sent + i for i in turn["answered_ok"]]
            sent += turn["requests"]
            ingest_turns.append(turn)
    finally:
        server.terminate()
        server.wait(timeout=30)
    bare, ingest = _combined(bare_turns), _combined(ingest_turns)
    distinct = {keys[i] for i in answered_ok}
    events = SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).count()
    return {
        "gunicorn_workers": WORKERS,
        "gunicorn_config": _gunicorn_config(),
        "concurrency": CONCURRENCY,
        "turns_per_view": TURNS,
        "bare_view": bare,
        "postbacks": ingest,
        "distinct_postbacks_answered": len(distinct),
        "postback_events_stored": events,
        "throughput_ratio": round(ingest["rps"] / bare["rps"], 3),
        "throughput_ratio_per_turn": [
            round(p / b, 3) for b, p in zip(bare["rps_per_turn"], ingest["rps_per_turn"], strict=True)
        ],
        "goal_throughput_ok": ingest["rps"] >= 0.5 * bare["rps"],
        "goal_p99_ok": ingest["p99_ms"] < 100,
        "goal_one_event_each_ok": events == len(distinct),
    }


def main() -> dict:
    import redis

    broker = f"{REDIS_BASE}/{REDIS_DB}"
    queue = redis.Redis.from_url(broker)
    keys_before = set(queue.keys("*"))
    with private_database("bench_pf2") as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": broker,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
        }
        try:
            return run_inner("bench.pf2_postbacks", env=env, timeout=600)
        finally:
            # Purge the queued processing tasks: only keys this run created.
            for key in set(queue.keys("*")) - keys_before:
                queue.delete(key)


if __name__ == "__main__":
    bench_main("pf2_postbacks", inner, main)
