"""Logins per second of a verifier fleet sharing one Redis store, on each topology.

The verifier is configured as the example portal's (CPA filing policy,
OCSP hard-fail against the test PKI's loopback responders, answers cached
per worker) and served by uvicorn with 1 and 2 worker processes, each with
its own ``RedisChallengeStore`` on the same Redis: one server, a Cluster
(3 primaries, 3 replicas) or a Sentinel group (1 primary, 2 replicas,
3 sentinels), all started on loopback and stopped by PID. A small asyncio
client (plain HTTP/1.1 on streams, 16 keep-alive connections) first asks for
challenges, signs them off the clock with the test card's file key, then
posts the responses; logins per second is responses verified over wall time. The
in-memory store with 1 worker is the reference. Separately, the store's own
limit: 2 processes doing put + take pairs directly, with the epoch-tag
scripts, with plain ``SET NX``/``GETDEL`` (no failover guarantee), and with
``GETDEL`` + ``WAIT 1`` (the alternative guarantee) on the Sentinel primary.

Run: .venv/bin/python bench/fleet.py [--logins 600] [--seconds 4]
Every loop is bounded by count and by time; traffic stays on 127.0.0.1.
The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.crypto.authority import Authority
from xcapki.crypto.key_signer import KeySigner
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.login import (
    CPA_FILING_POLICY,
    Challenge,
    ChallengeRecord,
    ChallengeStore,
    LoginError,
    PortalLogin,
    ResponseFormat,
    respond,
)
from xcapki.login.challenge import session_digest
from xcapki.login.redis_store import RedisChallengeStore
from xcapki.testing import CardSpec, TestPki, serve_pki
from xcapki.testing.ports import unused_port
from xcapki.testing.redis_servers import LocalRedisCluster, LocalRedisSentinel, LocalRedisServer

ORIGIN = "https://portal.example.tw"
CONFIG_VARIABLE = "XCAPKI_FLEET_CONFIG"
CONCURRENCY = 16


# The verifier fleet: what each uvicorn worker runs.


def _store_from(config: dict[str, Any]) -> ChallengeStore | None:
    kind, prefix = config["store"], config["prefix"]
    if kind == "memory":
        return None
    if kind == "server":
        return RedisChallengeStore.from_url(config["url"], key_prefix=prefix)
    if kind == "cluster":
        nodes = [(host, port) for host, port in config["nodes"]]
        return RedisChallengeStore.for_cluster(nodes, key_prefix=prefix)
    sentinels = [(host, port) for host, port in config["sentinels"]]
    return RedisChallengeStore.for_sentinel(sentinels, config["service"], key_prefix=prefix)


def create_app() -> Any:
    """The worker's ASGI app: POST /challenge and POST /login, session id in a header.

    Each worker verifies one login at a time in one thread: verification is
    CPU-bound under the GIL, so processes, not threads, add throughput.
    """
    from anyio import CapacityLimiter, to_thread
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    config = json.loads(os.environ[CONFIG_VARIABLE])
    trust = TrustStore.from_pem_files(
        roots=[Path(config["root"])], intermediates=[Path(p) for p in config["intermediates"]]
    )
    portal = PortalLogin(
        origin=ORIGIN,
        trust_store=trust,
        policy=CPA_FILING_POLICY,
        store=_store_from(config),
        revocation_mode=RevocationMode.HARD_FAIL,
    )

    one_at_a_time = CapacityLimiter(1)

    async def challenge(request: Request) -> Response:
        try:
            issued = portal.issue_challenge(request.headers["x-session"])
        except LoginError as error:
            return JSONResponse({"refused": type(error).__name__}, status_code=503)
        return Response(issued.to_json(), media_type="application/json")

    async def login(request: Request) -> Response:
        body = await request.body()
        try:
            verified = await to_thread.run_sync(
                portal.verify_response,
                request.headers["x-session"],
                body,
                limiter=one_at_a_time,
            )
        except LoginError as error:
            return JSONResponse({"refused": type(error).__name__}, status_code=401)
        return JSONResponse({"ubn": verified.identity.unified_business_number})

    return Starlette(
        routes=[
            Route("/challenge", challenge, methods=["POST"]),
            Route("/login", login, methods=["POST"]),
        ]
    )


class Fleet:
    """uvicorn with ``workers`` processes on a free loopback port, stopped by PID."""

    def __init__(self, config: dict[str, Any], workers: int) -> None:
        self.port = unused_port()
        env = dict(os.environ, **{CONFIG_VARIABLE: json.dumps(config)})
        command = [
            sys.executable, "-m", "uvicorn", "fleet:create_app", "--factory",
            "--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1",
            "--port", str(self.port), "--workers", str(workers), "--log-level", "warning",
            "--no-access-log", "--timeout-keep-alive", "60",
            "--http", "xcapki.service.nodelay:NoDelayHttpProtocol",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env=env)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("the verifier fleet exited at start")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the verifier fleet did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


# The load client: plain HTTP/1.1 on asyncio streams, requests built before the clock
# starts, so that the client spends as little of the shared CPU as possible.


async def _exchange_all(port: int, requests: list[bytes], seconds: float) -> list[bytes]:
    """Send each request once over CONCURRENCY keep-alive connections; the answers' bodies.

    Stops sending new requests after ``seconds``; a non-200 answer ends the run.
    """
    answers: list[bytes] = [b""] * len(requests)
    queue = iter(range(len(requests)))
    deadline = time.monotonic() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for index in queue:
                if time.monotonic() > deadline:
                    return
                writer.write(requests[index])
                head = await reader.readuntil(b"\r\n\r\n")
                status = head.split(b" ", 2)[1]
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                if status != b"200":
                    raise SystemExit(f"the fleet refused a request: {status!r} {body[:200]!r}")
                answers[index] = body
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(CONCURRENCY)))
    return answers


def _request(path: str, session: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-session: {session}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _drive(port: int, signer: KeySigner, logins: int, seconds: float) -> dict[str, Any]:
    """Ask for ``logins`` challenges, sign them off the clock, post the responses."""
    sessions = [f"bench-{uuid.uuid4().hex}" for _ in range(logins)]
    started = time.perf_counter()
    issued = asyncio.run(
        _exchange_all(port, [_request("/challenge", s, b"") for s in sessions], seconds)
    )
    issue_rate = logins / (time.perf_counter() - started)
    posts = [
        _request(
            "/login",
            session,
            respond(Challenge.from_json(text), signer, response_format=ResponseFormat.HIPKI)
            .to_json()
            .encode(),
        )
        for session, text in zip(sessions, issued, strict=True)
        if text
    ]
    started = time.perf_counter()
    verified = asyncio.run(_exchange_all(port, posts, seconds))
    elapsed = time.perf_counter() - started
    admitted = sum(1 for body in verified if body)
    return {"logins_per_s": admitted / elapsed, "challenges_per_s": issue_rate, "n": admitted}


# The store's own limit.


def _raw_client(config: dict[str, Any]) -> Any:
    """A plain redis-py client of the topology's primary (for the reference loops)."""
    import redis
    from redis.cluster import ClusterNode, RedisCluster
    from redis.sentinel import Sentinel

    if config["store"] == "server":
        return redis.Redis.from_url(config["url"])
    if config["store"] == "cluster":
        return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in config["nodes"]])
    sentinels = [(host, port) for host, port in config["sentinels"]]
    return Sentinel(sentinels).master_for(config["service"])


def _store_loop(config: dict[str, Any], mode: str, seconds: float, results: Any) -> None:
    """put + take pairs: "tagged" (the store), "plain" (SET NX, GETDEL), "wait" (+ WAIT 1)."""
    store = _store_from(config)
    assert isinstance(store, RedisChallengeStore)
    raw = _raw_client(config)
    template = Challenge.new(
        origin=ORIGIN, now=dt.datetime.now(dt.UTC), ttl=dt.timedelta(minutes=5)
    )
    digest = session_digest("bench")
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline and done < 1_000_000:
        challenge_id = uuid.uuid4().hex
        record = ChallengeRecord(
            challenge=dataclasses.replace(template, challenge_id=challenge_id),
            session_digest=digest,
        )
        if mode == "tagged":
            store.put(record, retain_for=dt.timedelta(minutes=6))
            taken = store.take(challenge_id)
        else:
            key = config["prefix"] + challenge_id
            raw.set(key, record.to_bytes(), px=360_000, nx=True)
            if mode == "wait":
                pipe = raw.pipeline(transaction=False)
                pipe.getdel(key)
                pipe.execute_command("WAIT", 1, 1000)
                taken, acked = pipe.execute()
                if acked < 1:
                    raise SystemExit("no replica acknowledged the take within 1 s")
            else:
                taken = raw.getdel(key)
        if taken is None:
            raise SystemExit("a challenge went missing in the bench")
        done += 1
    results.put(done / seconds)
    store.close()
    raw.close()


def store_limit(config: dict[str, Any], mode: str, seconds: float) -> float:
    """put + take pairs per second from 2 processes straight at the store."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(target=_store_loop, args=(config, mode, seconds, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    total = float(sum(results.get(timeout=seconds + 60) for _ in workers))
    for worker in workers:
        worker.join(timeout=30)
    return total


def server_cost(config: dict[str, Any], server: LocalRedisServer) -> dict[str, float]:
    """Redis's own CPU time per put + take pair (INFO commandstats), in microseconds.

    This is the store's limit independent of the clients: one Redis core
    completes about 1e6 / microseconds pairs per second.
    """
    costs: dict[str, float] = {}
    with server.client() as client:
        for mode, commands in (("tagged", ("evalsha",)), ("plain", ("set", "getdel"))):
            client.config_resetstat()
            store_limit({**config, "prefix": f"cost:{uuid.uuid4().hex}:"}, mode, 1.0)
            stats = client.info("commandstats")
            pairs = stats[f"cmdstat_{commands[-1]}"]["calls"] / (2 if mode == "tagged" else 1)
            total = sum(stats[f"cmdstat_{name}"]["usec"] for name in commands)
            costs[f"{mode}_us"] = total / pairs
    return costs


# The run.


def fleet_rate(
    config: dict[str, Any], workers: int, signer: KeySigner, logins: int, seconds: float
) -> dict[str, Any]:
    fleet = Fleet(config, workers)
    try:
        fleet.wait_ready()
        _drive(fleet.port, signer, 8 * workers, seconds)
        return _drive(fleet.port, signer, logins, seconds)
    finally:
        fleet.stop()


def _run_all(
    base: dict[str, Any], directory: Path, signer: KeySigner, logins: int, seconds: float
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, float]]]:
    """Every fleet run and store limit, with the topologies started here and stopped by PID."""
    server = LocalRedisServer(directory / "server", settings=['save ""', "appendonly no"])
    cluster = LocalRedisCluster(directory / "cluster")
    sentinel = LocalRedisSentinel(directory / "sentinel")
    topologies: dict[str, dict[str, Any]] = {
        "server": {"store": "server", "url": server.url},
        "cluster": {"store": "cluster", "nodes": cluster.nodes},
        "sentinel": {
            "store": "sentinel",
            "sentinels": sentinel.sentinels,
            "service": sentinel.service_name,
        },
    }
    fleet: dict[str, dict[str, Any]] = {}
    limits: dict[str, dict[str, float]] = {}
    try:
        server.start()
        cluster.start()
        sentinel.start()
        memory = {**base, "store": "memory", "prefix": ""}
        fleet["memory"] = {"1": fleet_rate(memory, 1, signer, logins, seconds)}
        for topology, where in topologies.items():
            config = {**base, **where, "prefix": f"bench:{uuid.uuid4().hex}:"}
            fleet[topology] = {
                str(n): fleet_rate(config, n, signer, logins, seconds) for n in (1, 2)
            }
            modes = ["tagged", "plain"] + (["wait"] if topology == "sentinel" else [])
            limits[topology] = {mode: store_limit(config, mode, seconds) for mode in modes}
        limits["server, Redis CPU"] = server_cost({**base, **topologies["server"]}, server)
    finally:
        sentinel.close()
        cluster.close()
        server.stop()
    return fleet, limits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=600, help="logins per run (bound)")
    parser.add_argument("--seconds", type=float, default=4.0, help="time per run (bound)")
    args = parser.parse_args()
    logins, seconds = max(args.logins, 20), max(args.seconds, 0.5)

    with tempfile.TemporaryDirectory(prefix="xcapki-bench-fleet-") as name:
        directory = Path(name)
        pki = TestPki.create(directory / "pki")
        card = pki.issue_card(
            CardSpec(
                authority=Authority.XCA,
                organisation_name="效能測試事務所",
                unified_business_number="12345678",
            )
        )
        signer = KeySigner(
            private_key=card.signing.private_key, certificate=card.signing.certificate
        )
        root = directory / "root.pem"
        root.write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
        intermediates = []
        for index, ca in enumerate(pki.authorities[1:]):
            path = directory / f"ca{index}.pem"
            path.write_bytes(ca.certificate.public_bytes(Encoding.PEM))
            intermediates.append(str(path))
        base = {"root": str(root), "intermediates": intermediates}

        with serve_pki(pki):
            fleet, limits = _run_all(base, directory, signer, logins, seconds)

    print(f"verifier fleet, RSA-2048 HiPKI logins, OCSP hard-fail, {CONCURRENCY} connections")
    print(f"{'store':10} {'workers':>7} {'logins/s':>9} {'challenges/s':>13}")
    for topology, runs in fleet.items():
        for workers, figures in runs.items():
            print(
                f"{topology:10} {workers:>7} {figures['logins_per_s']:9.0f} "
                f"{figures['challenges_per_s']:13.0f}"
            )
    print("store alone, put + take pairs per second from 2 processes")
    for topology, modes in limits.items():
        shown = "  ".join(f"{mode} {rate:7.1f}" for mode, rate in modes.items())
        print(f"{topology:10} {shown}")
    print(
        json.dumps(
            {
                "logins_per_s": {
                    t: {w: round(f["logins_per_s"], 1) for w, f in runs.items()}
                    for t, runs in fleet.items()
                },
                "challenges_per_s": {
                    t: {w: round(f["challenges_per_s"], 1) for w, f in runs.items()}
                    for t, runs in fleet.items()
                },
                "store_pairs_per_s": {
                    t: {m: round(r, 1) for m, r in modes.items()} for t, modes in limits.items()
                },
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
