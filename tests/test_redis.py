"""State shared across replicas (issue 13 item 2): a real `redis-server` on loopback, and two
`specqa serve` processes against it. The rate limit holds across both, and a replayed Slack event
or command that reaches both is answered once.

`redis-server` is the Debian package of that name (`make system-deps` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from ingest.pipeline import IngestReport
from server.app import create_app
from server.composition.components import Components
from server.edge.shared_state import REDIS_UNREACHABLE, RedisReplayCache, Throttle
from server.settings import Settings
from tests.conftest import REPO
from tests.helpers import ServeProcess, free_port, live_server, start_serve, stop, wait_until
from tests.test_slack import (
    BOT_TOKEN,
    BOT_USER,
    SECRET,
    FakeSlack,
    command_body,
    event_body,
    mention,
    signed,
    to_thread,
)

RATE = 4


@dataclass
class RedisServer:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@contextmanager
def running_redis(folder: Path) -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port, keeping nothing on disk."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: run `make system-deps` (Debian package redis-server)"
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        wait_until(lambda: _pings(client), 30, "redis-server to accept connections")
        yield RedisServer(url, process)
    finally:
        stop(process)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture(scope="module")
def replicas(
    built: tuple[Settings, IngestReport],
    redis_server: RedisServer,
    slack: FakeSlack,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[ServeProcess]]:
    """Two `specqa serve` processes, each with its own copy of the index, one Redis."""
    root = tmp_path_factory.mktemp("replicas")
    started: list[ServeProcess] = []
    try:
        for number in range(2):
            index = root / f"index{number}"
            shutil.copytree(built[0].index.index_dir, index)
            started.append(_start(index, root / f"serve{number}.log", redis_server, slack))
        for replica in started:
            replica.wait_ready(180)
        yield started
    finally:
        for replica in started:
            replica.stop()


def _start(index: Path, log: Path, redis_server: RedisServer, slack: FakeSlack) -> ServeProcess:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "SPECQA_INDEX_DIR": str(index),
        "SPECQA_REDIS_URL": redis_server.url,
        "SPECQA_RATE_LIMIT_PER_MINUTE": str(RATE),
        "SPECQA_SLACK_SIGNING_SECRET": SECRET,
        "SPECQA_SLACK_BOT_TOKEN": BOT_TOKEN,
        "SPECQA_SLACK_API_URL": f"{slack.url}/api/",
        "SPECQA_LOG_LEVEL": "WARNING",
    }
    return start_serve(env=env, log=log)


def _replays(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    match = re.search(r"^specqa_slack_replays_total ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


# --- the parts, against the real Redis ------------------------------------------------------------


def test_two_throttles_on_one_redis_share_one_moving_window(redis_server: RedisServer) -> None:
    from limits.storage import storage_from_string

    first = Throttle(storage_from_string(redis_server.url), per_minute=3)
    second = Throttle(storage_from_string(redis_server.url), per_minute=3)
    waits = [(first if n % 2 else second).wait("ip:192.0.2.1") for n in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0 < waits[3] <= 60
    assert first.wait("ip:192.0.2.2") == 0.0  # another caller has its own window


def test_the_redis_replay_cache_takes_each_key_once_and_lets_it_expire(
    redis_server: RedisServer,
) -> None:
    one, other = RedisReplayCache(redis_server.url), RedisReplayCache(redis_server.url)
    assert one.first_time("event:EvR1", "msg:C1:1.0")
    assert not other.first_time("event:EvR2", "msg:C1:1.0")  # same message, new event id
    assert not one.first_time("event:EvR1")
    ttl = redis.Redis.from_url(redis_server.url).ttl("specqa:seen:event:EvR1")
    assert 0 < ttl <= 3600


# --- two server processes -----------------------------------------------------------------------


def test_the_rate_limit_holds_across_replicas(replicas: list[ServeProcess]) -> None:
    statuses = [
        httpx.get(f"{replicas[n % 2].url}/v1/releases", timeout=30).status_code
        for n in range(RATE + 2)
    ]
    assert statuses == [200] * RATE + [429, 429]


def test_a_replayed_slack_event_reaching_both_replicas_is_answered_once(
    replicas: list[ServeProcess], slack: FakeSlack
) -> None:
    ts = "1700000900.000100"
    body = event_body(mention(ts, f"<@{BOT_USER}> may the model lie?"), "EvReplicas")
    for replica in replicas:
        response = httpx.post(
            f"{replica.url}/slack/events",
            content=body,
            headers={"Content-Type": "application/json", **signed(body)},
            timeout=30,
        )
        assert response.status_code == 200
    assert sum(_replays(r.url) for r in replicas) == 1  # decided at the ack
    slack.wait_for(to_thread(ts))
    for n, replica in enumerate(replicas):  # answered after the replay would have been
        sentinel = f"1700000901.00010{n}"
        marker = event_body(mention(sentinel, f"<@{BOT_USER}> hi"), f"EvMarker{n}")
        httpx.post(
            f"{replica.url}/slack/events",
            content=marker,
            headers={"Content-Type": "application/json", **signed(marker)},
            timeout=30,
        )
        slack.wait_for(to_thread(sentinel))
    assert len(slack.matching(to_thread(ts))) == 1


def test_a_replayed_slash_command_reaching_both_replicas_is_answered_once(
    replicas: list[ServeProcess], slack: FakeSlack
) -> None:
    before = sum(_replays(r.url) for r in replicas)
    body = command_body("can the model swear?", "replicas-cmd", slack.url)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed(body)}
    for replica in replicas:
        response = httpx.post(
            f"{replica.url}/slack/commands", content=body, headers=headers, timeout=30
        )
        assert response.status_code == 200
    assert sum(_replays(r.url) for r in replicas) == before + 1
    slack.wait_for(lambda p: p.path == "/response/replicas-cmd")
    for n, replica in enumerate(replicas):
        marker = command_body("and slurs?", f"marker-{n}", slack.url)
        httpx.post(
            f"{replica.url}/slack/commands",
            content=marker,
            headers={"Content-Type": "application/x-www-form-urlencoded", **signed(marker)},
            timeout=30,
        )
        slack.wait_for(lambda p, n=n: p.path == f"/response/marker-{n}")
    assert len(slack.matching(lambda p: p.path == "/response/replicas-cmd")) == 1


def test_compose_shares_one_redis_between_the_replicas() -> None:
    import yaml

    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["redis"]["image"].startswith("redis:")
    app = services["specqa"]
    assert app["environment"]["SPECQA_REDIS_URL"] == "redis://redis:6379/0"
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "per replica" not in (REPO / "compose.yaml").read_text(encoding="utf-8")


# --- Redis down or hung (issue 24 item 13) --------------------------------------------------------

TIMEOUT_S = 1.0
SLACK_S = 1.0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, to stop or pause."""
    with running_redis(tmp_path) as server:
        yield server


@contextmanager
def _served_with(parts: Components, redis_server: RedisServer, timeout_s: float) -> Iterator[str]:
    settings = parts.settings.updated(
        **{"redis_url": redis_server.url, "redis_timeout_s": timeout_s}
    )
    with live_server(create_app(settings, parts)) as url:
        yield url


@contextmanager
def _paused(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """Redis hung, not stopped: its port still accepts connections, nothing answers."""
    process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)


def _timed_get(url: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.get(url, timeout=60)
    return response, time.monotonic() - started


def _assert_redis_refusal(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert REDIS_UNREACHABLE in response.json()["error"]["message"]
    assert elapsed < TIMEOUT_S + SLACK_S, f"a limited request waited {elapsed:.1f} s on Redis"


def test_with_redis_stopped_readyz_says_not_ready_and_limited_routes_refuse_at_once(
    parts: Components, own_redis: RedisServer
) -> None:
    with _served_with(parts, own_redis, TIMEOUT_S) as url:
        ready = httpx.get(f"{url}/readyz", timeout=30)
        assert ready.status_code == 200 and ready.json()["shared_state"] == "redis"
        stop(own_redis.process)

        not_ready = httpx.get(f"{url}/readyz", timeout=30)
        assert not_ready.status_code == 503
        assert not_ready.json()["message"] == REDIS_UNREACHABLE
        _assert_redis_refusal(*_timed_get(f"{url}/v1/releases"))
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200  # alive, not ready


def test_a_hung_redis_costs_a_limited_request_one_timeout_and_healthz_nothing(
    parts: Components, own_redis: RedisServer
) -> None:
    with _served_with(parts, own_redis, TIMEOUT_S) as url:
        assert httpx.get(f"{url}/v1/releases", timeout=30).status_code == 200
        with _paused(own_redis.process):
            _assert_redis_refusal(*_timed_get(f"{url}/v1/releases"))
            not_ready, elapsed = _timed_get(f"{url}/readyz")
            assert not_ready.status_code == 503 and elapsed < TIMEOUT_S + SLACK_S

            # More limited requests in flight than the server has worker threads, all waiting on
            # Redis: /healthz answers at once all the same.
            with ThreadPoolExecutor(max_workers=48) as pool:
                limited = [pool.submit(_timed_get, f"{url}/v1/releases") for _ in range(48)]
                time.sleep(0.3)
                health = [_timed_get(f"{url}/healthz") for _ in range(3)]
                refused = [future.result() for future in limited]
            assert all(r.status_code == 200 for r, _ in health)
            # far under what one Redis wait costs a limited request (the finding: about 5 s)
            assert max(t for _, t in health) < TIMEOUT_S + SLACK_S, [t for _, t in health]
            assert all(r.status_code == 503 for r, _ in refused)

        # Redis answers again: so does everything else.
        wait_until(lambda: httpx.get(f"{url}/readyz", timeout=30).status_code == 200, 10, "ready")
        assert httpx.get(f"{url}/v1/releases", timeout=30).status_code == 200
