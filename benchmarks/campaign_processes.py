"""The campaign benchmark's processes: the SMTP sink and real Celery workers.

Each phase of ``benchmarks.campaign_send`` starts a sink of its own (so its counts and
times are the phase's alone) and the workers it needs, pointed at that sink by
``EMAIL_URL``, and stops them at its end.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kombu import Connection

from benchmarks import ROOT
from benchmarks.database import BenchmarkError

READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30


@dataclass
class SinkFigures:
    """What a sink accepted: counts, and the wall-clock times of the first and last."""

    accepted: int
    recipients: int
    duplicates: int
    first: float | None
    last: float | None
    connections: int
    bytes: int

    @property
    def seconds(self) -> float:
        return (self.last - self.first) if self.first and self.last else 0.0

    @property
    def rate(self) -> float:
        """Messages per second from the first accepted to the last."""
        return self.accepted / self.seconds if self.seconds > 0 else 0.0


class Sink:
    """A running sink: its port, and its figures once stopped."""

    def __init__(self, port: int, stats: Path) -> None:
        self.port = port
        self.stats = stats
        self.figures: SinkFigures | None = None
        self.pid = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@contextmanager
def smtp_sink(workdir: Path, label: str) -> Iterator[Sink]:
    """``benchmarks.smtp_sink`` in its own process on a free port; figures read at the end."""
    sink = Sink(free_port(), workdir / f"{label}.json")
    log = workdir / f"{label}.log"
    command = [sys.executable, "-m", "benchmarks.smtp_sink", "--port", str(sink.port)]
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, "--stats", str(sink.stats)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    sink.pid = process.pid
    try:
        _wait_listening(sink.port, process, log)
        yield sink
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if not sink.stats.exists():
        raise BenchmarkError(f"the SMTP sink wrote no figures:\n{log.read_text()}")
    sink.figures = SinkFigures(**json.loads(sink.stats.read_text()))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"the SMTP sink exited {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise BenchmarkError(f"the SMTP sink did not listen within {READY_TIMEOUT_S} s")


@contextmanager
def celery_workers(
    env: dict[str, str], workdir: Path, queues: Sequence[str]
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """One real worker process per entry of ``queues`` (``celery -A clvcrm worker -Q``,
    ``--pool=solo``), each ready before this yields; stopped (warm shutdown) at the end."""
    with ExitStack() as stack:
        processes = [
            stack.enter_context(_worker(env, workdir, queue, number))
            for number, queue in enumerate(queues, start=1)
        ]
        yield processes


@contextmanager
def _worker(
    env: dict[str, str], workdir: Path, queue: str, number: int
) -> Iterator[subprocess.Popen[bytes]]:
    name = f"bench{number}-{queue}"
    log = workdir / f"worker-{name}.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "clvcrm",
        "worker",
        "-Q",
        queue,
        f"--hostname={name}@%h",
        "--pool=solo",
        "--concurrency=1",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",  # for the "ready." line; a task logs two lines, a batch none
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while " ready." not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchmarkError(f"worker {name} did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)  # warm shutdown: the running task finishes
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system seconds the processes ``pids`` have spent so far (from ``/proc``)."""
    ticks = 0
    for pid in pids:
        stat = _stat(pid)
        if stat is not None:  # else gone meanwhile
            ticks += stat.utime + stat.stime
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU seconds spent so far by a PostgreSQL server on this machine (0 when it runs
    elsewhere): its live processes, plus the backends that ended, which the kernel adds
    to the postmaster's children's times when it reaps them. The difference of two
    readings is what the server spent in between, however many connections came and went.
    """
    ticks = 0
    for entry in os.listdir("/proc"):
        stat = _stat(int(entry)) if entry.isdigit() else None
        if stat is None or stat.name != "postgres":
            continue
        ticks += stat.utime + stat.stime
        parent = _stat(stat.ppid)
        if parent is None or parent.name != "postgres":  # the postmaster
            ticks += stat.children_time
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class _Stat:
    """The fields of ``/proc/PID/stat`` read here; times in clock ticks."""

    name: str
    ppid: int
    utime: int
    stime: int
    children_time: int  # cutime + cstime: of the children it has reaped


def _stat(pid: int) -> _Stat | None:
    """``pid``'s ``/proc`` status, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            name, rest = file.read().split(" (", 1)[1].rsplit(")", 1)
        fields = rest.split()  # from the state on: ppid is fields[1], utime fields[11]
        return _Stat(
            name=name,
            ppid=int(fields[1]),
            utime=int(fields[11]),
            stime=int(fields[12]),
            children_time=int(fields[13]) + int(fields[14]),
        )
    except (OSError, ValueError, IndexError):
        return None


def queues_purge(broker: str, queues: Sequence[str]) -> dict[str, int]:
    """Drop what waits on ``queues`` (tasks a setup step queued that no worker should run)."""
    purged: dict[str, Any] = {}
    with Connection(broker) as conn:
        channel = conn.default_channel
        for queue in queues:
            purged[queue] = channel.queue_purge(queue) or 0  # type: ignore[attr-defined]  # kombu's stubs type default_channel as StdChannel, which lacks it
    return purged
