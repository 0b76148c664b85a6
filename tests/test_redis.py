"""State shared across replicas (issue 13 item 2): a real `redis-server` on loopback, and two
`specqa serve` processes against it. The rate limit holds across both, and a replayed Slack event
or command that reaches both is answered once.

`redis-server` is the Debian package of that name (`make system-deps` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from ingest.pipeline import IngestReport
from server.edge.shared_state import RedisReplayCache, Throttle
from specqa.core.settings import Settings
from tests.conftest import REPO
from tests.helpers import ServeProcess, free_port, start_serve, stop, wait_until
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
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: run `make system-deps` (Debian package redis-server)"
    folder = tmp_path_factory.mktemp("redis")
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
            shutil.copytree(built[0].index_dir, index)
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
