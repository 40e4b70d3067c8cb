"""The load generator: a separate process, asyncio + httpx, so the server's CPU is not the client's.

    python bench/loadgen.py http  '<json spec>'   -> throughput and latency percentiles for one endpoint
    python bench/loadgen.py ws    '<json spec>'   -> websocket fan-out: N sockets, one filing, time to every hint

Prints one JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import time
import uuid

import httpx
import websockets


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


CSRF_IN_FORM = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


async def _client_loop(spec: dict, deadline: float, latencies: list[float], errors: list[str]) -> None:
    cookies = {"sessionid": spec["session"]} if spec.get("session") else {}
    headers = dict(spec.get("headers", {}))
    async with httpx.AsyncClient(base_url=spec["base"], cookies=cookies, timeout=30) as client:
        form_token = ""
        if spec["method"] == "FILE":
            page = await client.get("/referrals/new/?program=co-response")
            form_token = CSRF_IN_FORM.search(page.text).group(1)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                if spec["method"] == "FILE":
                    response = await client.post(
                        "/referrals/new/",
                        data={
                            "csrfmiddlewaretoken": form_token,
                            "program": "co-response",
                            "idempotency_key": str(uuid.uuid4()),
                            "district": spec["district_id"],
                            "urgency": "now",
                            "location_text": "Bench St",
                            "reason_codes": "welfare_check",
                        },
                        headers={"Referer": spec["base"] + "/referrals/new/"},
                    )
                    ok = response.status_code == 302 and "/referrals/R-" in response.headers.get("location", "")
                else:
                    response = await client.get(spec["path"], headers=headers)
                    ok = response.status_code == 200
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
                continue
            latencies.append(time.perf_counter() - started)
            if not ok:
                errors.append(str(response.status_code))


async def run_http(spec: dict) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    # A short warm-up, not counted: the first requests open connections and fill caches.
    await asyncio.gather(*[_client_loop(spec, time.perf_counter() + 0.5, [], []) for _ in range(spec["clients"])])
    started = time.perf_counter()
    deadline = started + spec["seconds"]
    await asyncio.gather(*[_client_loop(spec, deadline, latencies, errors) for _ in range(spec["clients"])])
    elapsed = time.perf_counter() - started
    ms = [value * 1000 for value in latencies]
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
    }


async def run_ws(spec: dict) -> dict:
    """Open N sockets (one session each), file one request over HTTP, time each socket's first hint."""
    origin = spec["http_base"]
    sockets = []
    for session in spec["sessions"]:
        socket = await websockets.connect(
            spec["ws_base"] + "/ws/live/",
            additional_headers={"Cookie": f"sessionid={session}"},
            origin=origin,
            open_timeout=20,
            max_queue=None,
        )
        sockets.append(socket)
    await asyncio.sleep(1.0)  # every socket has joined its groups

    received: list[float] = []

    async def wait_hint(socket) -> None:
        while True:
            message = json.loads(await asyncio.wait_for(socket.recv(), timeout=15))
            if message.get("topic") == "referrals":
                received.append(time.perf_counter())
                return

    waiters = [asyncio.create_task(wait_hint(s)) for s in sockets]
    async with httpx.AsyncClient(
        base_url=spec["http_base"], cookies={"sessionid": spec["officer_session"]}, timeout=30
    ) as client:
        page = await client.get("/referrals/new/?program=co-response")
        token = CSRF_IN_FORM.search(page.text).group(1)
        sent = time.perf_counter()
        response = await client.post(
            "/referrals/new/",
            data={
                "csrfmiddlewaretoken": token,
                "program": "co-response",
                "idempotency_key": str(uuid.uuid4()),
                "district": spec["district_id"],
                "urgency": "now",
            },
            headers={"Referer": spec["http_base"] + "/referrals/new/"},
        )
        answered = time.perf_counter()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    for socket in sockets:
        await socket.close()
    missing = sum(1 for r in results if isinstance(r, Exception))
    # Latency is counted from the moment the POST was sent (an upper bound on "from commit"): the commit happens
    # inside that request, before its response.
    ms = [(t - sent) * 1000 for t in received]
    return {
        "sockets": len(sockets),
        "received": len(received),
        "missing": missing,
        "post_status": response.status_code,
        "post_ms": round((answered - sent) * 1000, 1),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "max_ms": round(max(ms), 1) if ms else None,
    }


def main() -> None:
    mode, spec = sys.argv[1], json.loads(sys.argv[2])
    result = asyncio.run(run_http(spec) if mode == "http" else run_ws(spec))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
