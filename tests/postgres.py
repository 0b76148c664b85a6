"""A real PostgreSQL cluster for tests: `initdb` into a temporary folder, `pg_ctl start` on a free
port of 127.0.0.1 (no fsync), stopped and removed afterwards. The binaries are Debian's
`postgresql` (`make system-deps`); PostgreSQL refuses to run as root, so a root test runs them as
the `postgres` user that the package creates. :func:`paused` hangs a running cluster (SIGSTOP to
every one of its processes) and lets it go again (SIGCONT)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from tests.helpers import free_port

__all__ = ["fresh_database", "paused", "postgres_cluster"]

_DATA: dict[str, Path] = {}  # a running cluster's URL -> its data folder


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )
    assert found, f"{name} is missing: run `make system-deps` (Debian package postgresql)"
    return found


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Yields the URL of the cluster's `postgres` database as superuser `specqa` (trust auth)."""
    folder = Path(tempfile.mkdtemp(prefix="specqa-pg-"))
    data = folder / "data"
    owner: dict[str, Any] = {}
    if os.geteuid() == 0:
        owner = {"user": "postgres"}
        entry = pwd.getpwnam("postgres")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    run: dict[str, Any] = {"check": True, "capture_output": True, **owner}
    pg_ctl = _binary("pg_ctl")
    port = free_port()
    try:
        subprocess.run(
            [
                _binary("initdb"),
                "-D",
                str(data),
                "-U",
                "specqa",
                "--auth=trust",
                "-E",
                "UTF8",
                "-N",
            ],
            **run,
        )
        options = f"-h 127.0.0.1 -p {port} -k {folder} -F"
        started = subprocess.run(
            [pg_ctl, "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w", "start"],
            **{**run, "check": False},
        )
        if started.returncode:
            log = (folder / "log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"postgres did not start: {started.stderr!r}\n{log}")
        url = f"postgresql://specqa@127.0.0.1:{port}/postgres"
        _DATA[url] = data
        try:
            yield url
        finally:
            _DATA.pop(url, None)
            subprocess.run([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], **run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(cluster_url: str) -> str:
    """A new, empty database on the cluster; its URL."""
    name = f"t{free_port()}"
    with psycopg.connect(cluster_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return cluster_url.rsplit("/", 1)[0] + "/" + name


def _processes(cluster_url: str) -> list[int]:
    """The postmaster of the cluster at ``cluster_url`` and every process it started."""
    postmaster = int((_DATA[cluster_url] / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == postmaster:
            children.append(int(Path(stat).parent.name))
    return [postmaster, *children]


@contextmanager
def paused(cluster_url: str) -> Iterator[None]:
    """The cluster hung, not stopped: every process SIGSTOPped (sockets open, the kernel still
    acknowledging), then SIGCONT on leaving."""
    processes = _processes(cluster_url)
    for pid in processes:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in processes:
            os.kill(pid, signal.SIGCONT)
