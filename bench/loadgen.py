"""A small asyncio HTTP/1.1 load generator: POSTs a list of (path, body) for a fixed time, either
closed-loop (a fixed number of clients, each waiting for its answer) or open-loop (a fixed rate).

Prints one JSON line: requests sent, statuses, requests per second and latencies. Each request
opens its own connection (gunicorn's sync workers close them anyway).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def _one(port: int, path: str, body: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, time.perf_counter() - started


async def run(port: int, requests: list[tuple[str, str]], seconds: float, concurrency: int) -> dict:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    answered_ok: list[int] = []
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while time.perf_counter() < deadline and next_index < len(requests):
            index = next_index
            next_index += 1
            path, body = requests[index]
            try:
                status, latency = await asyncio.wait_for(_one(port, path, body.encode()), timeout=30)
            except (TimeoutError, OSError):
                status, latency = 0, 30.0
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(latency)
            if status == 200:
                answered_ok.append(index)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started

    return {
        "latencies_ms": [round(latency * 1000, 3) for latency in latencies],
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1),
        "statuses": statuses,
        "answered_ok": answered_ok,
    }


async def run_open(port: int, requests: list[tuple[str, str]], seconds: float, rate: float) -> dict:
    """Open loop: request i starts at ``i / rate`` seconds whether or not earlier ones answered, and
    its latency counts from that planned start (so a server that falls behind shows it: no
    coordinated omission).

    Each request's task is made when its time comes. Made all at once up front (30,000 of them),
    the generator itself sent the first 260 up to 0.57 s late with no server involved, and that
    lateness, counted as latency, was the p99. How late the generator sent each request is
    reported beside the latencies (``start_lag_ms``), so its own share stays visible."""
    count = min(len(requests), int(seconds * rate))
    latencies: list[float] = [0.0] * count
    start_lags: list[float] = [0.0] * count
    statuses: dict[int, int] = {}
    answered_ok: list[int] = []

    async def one(index: int, planned: float) -> None:
        start_lags[index] = time.perf_counter() - planned
        path, body = requests[index]
        try:
            status, _ = await asyncio.wait_for(_one(port, path, body.encode()), timeout=30)
        except (TimeoutError, OSError):
            status = 0
        latencies[index] = time.perf_counter() - planned
        statuses[status] = statuses.get(status, 0) + 1
        if status == 200:
            answered_ok.append(index)

    started = time.perf_counter()
    tasks = []
    for index in range(count):
        planned = started + index / rate
        delay = planned - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, planned)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    return {
        "latencies_ms": [round(latency * 1000, 3) for latency in latencies],
        "start_lag_ms": [round(lag * 1000, 3) for lag in start_lags],
        "requests": count,
        "seconds": round(elapsed, 2),
        "rps": round(count / elapsed, 1),
        "statuses": statuses,
        "answered_ok": answered_ok,
    }


if __name__ == "__main__":
    spec = json.loads(sys.stdin.read())
    if spec.get("rate"):
        result = asyncio.run(run_open(spec["port"], spec["requests"], spec["seconds"], spec["rate"]))
    else:
        result = asyncio.run(run(spec["port"], spec["requests"], spec["seconds"], spec["concurrency"]))
    print(json.dumps(result))
