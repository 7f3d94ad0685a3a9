"""PF2: postback ingest under load, gunicorn (2 workers) on PostgreSQL, next to a bare "ok" view.

Gunicorn runs as production runs it (the Procfile's ``--access-logfile -`` and gunicorn.conf.py:
worker class, threads, the JSON access log) with the portal's production logging (JSON lines,
redaction) written to a file, for both views; only the worker count and the address are fixed here.
The postbacks are the gateway's own payloads (``tests/fixtures/dokobit/postback_*.json``: signer
info with personal code and certificate) for signings whose signer they name.

Processing tasks are queued on a private Redis database that nobody consumes (purged afterwards),
so only the ingest is measured. Afterwards every distinct postback answered 200 must have exactly
one event, key by key, no postback may have two and no event may exist for one never sent. A
postback whose client gave up waiting may have one or none, as its sender cannot know either.

The two views are loaded in turns (bare, postbacks, bare, ...: TURNS of each, SECONDS in all per
view; percentiles over every latency of a view's turns), so a change in the machine's speed during
the run weighs on both alike: on this machine the bare view alone moved by a third between
back-to-back runs, and a ratio of two 20 s phases taken one after the other moved with it.

Then an open-loop run: postbacks at a fixed rate (RATE per second for OPEN_SECONDS), each latency
counted from its planned start. Goals (issue 19): throughput >= 0.75x the bare view, open-loop p99
< 50 ms, exactly once.
"""

from __future__ import annotations

import json
import os
import random
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

from bench.common import (
    REDIS_BASE,
    RESULTS,
    ROOT,
    bench_main,
    django_setup,
    goal,
    migrate,
    percentile,
    private_database,
    run_inner,
    sized,
)

GUNICORN_CONF = ROOT / "gunicorn.conf.py"
WORKERS = 2  # fixed by the issue
SIGNINGS = sized(3000, 50)
SECONDS = sized(20, 2)
TURNS = sized(4, 1)
RATE = sized(500, 20)
OPEN_SECONDS = sized(60, 2)
FIXTURES = ROOT / "tests" / "fixtures" / "dokobit"
CONCURRENCY = 8
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "13"))
DUPLICATE_SHARE = 0.2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed() -> list[tuple[str, str, str]]:
    """Signings with one signer each and known postback secrets; returns (uuid, secret, signer id)."""
    from identity.models import User
    from portal.crypto import encrypt_text
    from signing.models import Document, Signer, Signing
    from signing.postback_secrets import postback_secret_new
    from signing.selectors import token_hash

    owner = User.objects.create_user(country_code="LT", personal_code="50001018865", first_name="B", last_name="O")
    docs = Document.objects.bulk_create(
        Document(owner=owner, title=f"doc {i}", file=f"documents/b{i}.pdf", sha256="0" * 64) for i in range(SIGNINGS)
    )
    # Postback URLs as the portal makes them at create (signing.postback_secrets).
    uuids = [uuid.uuid4() for _ in docs]
    made = [postback_secret_new(u) for u in uuids]
    pairs = [secret for secret, _hash in made]
    signings = Signing.objects.bulk_create(
        Signing(uuid=u, document=doc, status=Signing.Status.PENDING, dokobit_token=f"tok{i}", postback_secret_hash=h)
        for i, (u, doc, (_secret, h)) in enumerate(zip(uuids, docs, made, strict=True))
    )
    signers = []
    for i, signing in enumerate(signings):
        signer = Signer(
            document_id=signing.document_id,
            signing=signing,
            first_name="Bench",
            last_name="Signer",
            email=f"s{i}@example.test",
            dokobit_signer_id=f"bench-signer-{i}",
            link_token_hash=token_hash(f"link-{i}"),
            link_token_encrypted=encrypt_text(f"link-{i}"),
        )
        signer.set_personal_code("LT", "50001018865")
        signers.append(signer)
    Signer.objects.bulk_create(signers)
    return [(str(sg.uuid), s, sr.dokobit_signer_id) for sg, s, sr in zip(signings, pairs, signers, strict=True)]


def _requests(pairs: list[tuple[str, str, str]], count: int) -> tuple[list[tuple[str, str]], list[str]]:
    """The gateway's postbacks for many signings; a share repeats an earlier one.
    Returns (requests, identity per request)."""
    signed = json.loads((FIXTURES / "postback_signer_signed.json").read_text())
    completed = json.loads((FIXTURES / "postback_signing_completed.json").read_text())
    rng = random.Random(6)
    out: list[tuple[str, str]] = []
    keys: list[str] = []
    for n in range(count):
        if out and rng.random() < DUPLICATE_SHARE:
            j = rng.randrange(len(out))
            out.append(out[j])
            keys.append(keys[j])
            continue
        signing_uuid, secret, signer = pairs[n % len(pairs)]
        digest = f"{n // (2 * len(pairs)):064x}"
        if (n // len(pairs)) % 2 == 0:
            payload = {**signed, "token": f"tok-{signing_uuid}", "signer": signer, "file_digest": digest}
        else:
            payload = {**completed, "token": f"tok-{signing_uuid}", "file_digest": digest}
        out.append((f"/postback/{signing_uuid}/{secret}/", json.dumps(payload)))
        keys.append(f"{signing_uuid}|{payload['action']}|{digest}")
    return out, keys


def _load(port: int, requests: list[tuple[str, str]], seconds: float, rate: float = 0) -> dict:
    spec = json.dumps(
        {"port": port, "requests": requests, "seconds": seconds, "concurrency": CONCURRENCY, "rate": rate}
    )
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
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_PRODUCTION_LOGGING": "1"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / "pf2_server.log").open("w")
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)),
            *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "portal.wsgi"),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_up(port)
        postbacks, keys = _requests(pairs, 200_000 + int(RATE * OPEN_SECONDS))
        bare_turns, ingest_turns, answered_ok, sent = [], [], [], 0
        for _ in range(TURNS):
            bare_turns.append(_load(port, [("/bench/ok/", "{}")] * 100_000, SECONDS / TURNS))
            turn = _load(port, postbacks[sent:], SECONDS / TURNS)
            answered_ok += [sent + i for i in turn["answered_ok"]]
            sent += turn["requests"]
            ingest_turns.append(turn)
        open_loop = _load(port, postbacks[sent:], OPEN_SECONDS, rate=RATE)
        answered_ok += [sent + i for i in open_loop["answered_ok"]]
        sent += open_loop["requests"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    bare, ingest, open_run = _combined(bare_turns), _combined(ingest_turns), _combined([open_loop])
    answered = {keys[i] for i in answered_ok}
    stored = [
        f"{signing_uuid}|{payload.get('action')}|{payload.get('file_digest')}"
        for signing_uuid, payload in SigningEvent.objects.filter(kind=SigningEvent.Kind.POSTBACK).values_list(
            "signing__uuid", "payload"
        )
    ]
    # Exactly once, key by key: no postback stored twice, every one answered 200 stored, nothing
    # stored that was not sent. A request its client gave up on (status 0 after 30 s) may have
    # been stored or not, as with the gateway, which sends it again and finds it stored once.
    sent_keys = set(keys[:sent])
    once_each = len(stored) == len(set(stored)) and answered <= set(stored) <= sent_keys
    ratio = ingest["rps"] / bare["rps"]
    log_lines = (RESULTS / "pf2_server.log").read_text().count("\n")
    return {
        "gunicorn_workers": WORKERS,
        "gunicorn_config": _gunicorn_config(),
        "logging": f"production: JSON access and application lines ({log_lines} lines written)",
        "concurrency": CONCURRENCY,
        "turns_per_view": TURNS,
        "bare_view": bare,
        "postbacks": ingest,
        "open_loop": {
            "rate_per_s": RATE,
            "seconds": OPEN_SECONDS,
            **open_run,
            # How late the load generator itself sent the requests (part of each latency above).
            "generator_start_lag_p99_ms": round(percentile(sorted(open_loop["start_lag_ms"]), 99), 2),
        },
        "distinct_postbacks_answered": len(answered),
        "postback_events_stored": len(stored),
        "stored_but_not_answered": len(set(stored) - answered),
        "throughput_ratio": round(ratio, 3),
        "throughput_ratio_per_turn": [
            round(p / b, 3) for b, p in zip(bare["rps_per_turn"], ingest["rps_per_turn"], strict=True)
        ],
        "goals": [
            goal(
                "PF2",
                "postback throughput / bare view (closed loop)",
                measured=round(ratio, 3),
                target=">= 0.75",
                met=ratio >= 0.75,
            ),
            goal(
                "PF2",
                f"open-loop p99 at {RATE}/s for {OPEN_SECONDS} s, ms",
                measured=open_run["p99_ms"],
                target="< 50",
                met=open_run["p99_ms"] < 50 and open_run["statuses"].get("200", 0) == open_run["requests"],
            ),
            goal(
                "PF2",
                "one event per distinct postback answered, key by key",
                measured=once_each,
                target="true",
                met=once_each,
            ),
        ],
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
