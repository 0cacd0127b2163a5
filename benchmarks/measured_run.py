"""A command run as a subprocess and measured: wall time, CPU time and memory.

Peak memory comes from two readings that cover for each other: the child's
``ru_maxrss`` (``os.wait4``) and its ``VmHWM`` sampled from ``/proc`` while it runs.
Linux hands a forked child its parent's RSS high-water mark, and ``exec`` keeps it in the
child's ``ru_maxrss``; so this process resets its own mark first (``clear_refs``), and the
child's ``VmHWM``, which starts afresh at ``exec``, is sampled as well.
"""

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import ROOT
from benchmarks.report import megabytes, say


@dataclass
class Measured:
    """One run of a command."""

    seconds: float  # wall time
    cpu_seconds: float  # user + system time of the process and its waited-for children
    peak_rss: int  # bytes: the larger of ru_maxrss and the sampled VmHWM
    ru_maxrss: int  # bytes
    vm_hwm: int  # bytes, the highest sample
    peak_tree_pss: int  # bytes, PSS of the process and its children summed (0: not sampled)
    samples: list[tuple[float, int]]  # (seconds since start, RSS bytes)
    parent_rss: int  # bytes: this process's RSS when it started the command
    returncode: int
    stdout: str
    stderr: str

    def rss_at(self, fraction: float) -> int | None:
        """The RSS sample nearest to ``fraction`` of the run (None: no sample)."""
        if not self.samples:
            return None
        moment = fraction * self.seconds
        return min(self.samples, key=lambda s: abs(s[0] - moment))[1]


def run_measured(
    command: list[str],
    env: dict[str, str],
    logs: Path,
    label: str,
    *,
    sample_every: float,
    tree: bool = False,
) -> Measured:
    """Run ``command`` from the repository root, its output into ``logs/label.std*``.

    Memory is sampled every ``sample_every`` seconds; ``tree`` samples the PSS of the
    process and all its descendants too (it reads every member's ``smaps_rollup``).
    """
    reset_peak_rss()
    parent_rss = process_memory(os.getpid())[0]
    out_path, err_path = logs / f"{label}.stdout", logs / f"{label}.stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        samples: list[tuple[float, int]] = []
        high_water = tree_peak = 0
        next_sample = started
        try:
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                now = time.perf_counter()
                if now >= next_sample:
                    rss, hwm = process_memory(process.pid)
                    if rss:
                        samples.append((now - started, rss))
                    high_water = max(high_water, hwm)
                    if tree:
                        tree_peak = max(tree_peak, process_tree_pss(process.pid))
                    next_sample += sample_every
                time.sleep(max(0.0, min(0.05, next_sample - time.perf_counter())))
        except BaseException:
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    maxrss = usage.ru_maxrss * 1024  # KiB on Linux
    return Measured(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss=max(maxrss, high_water),
        ru_maxrss=maxrss,
        vm_hwm=high_water,
        peak_tree_pss=tree_peak,
        samples=samples,
        parent_rss=parent_rss,
        returncode=process.returncode,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
    )


def reset_peak_rss() -> None:
    """Reset this process's RSS high-water mark, which a child would otherwise inherit."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        peak = process_memory(os.getpid())[1]
        say(f"  (cannot reset the peak RSS; up to {megabytes(peak)} MB is ours)")


def process_memory(pid: int) -> tuple[int, int]:
    """``VmRSS`` and ``VmHWM`` of ``pid`` in bytes (0 once the process is gone)."""
    found = {"VmRSS:": 0, "VmHWM:": 0}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name = line.split(None, 1)[0]
                if name in found:
                    found[name] = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return found["VmRSS:"], found["VmHWM:"]


def process_tree_pss(pid: int) -> int:
    """Proportional set size of ``pid`` and all its descendants, summed, in bytes.

    PSS divides each shared page among the processes sharing it, so the sum counts the
    pages a forked child shares with its parent once: the memory the whole tree holds.
    """
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError, IndexError):
            pass  # gone meanwhile
    return total


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, alive now."""
    tree, todo = [], [pid]
    while todo:
        member = todo.pop()
        tree.append(member)
        try:
            for task in os.listdir(f"/proc/{member}/task"):
                with open(f"/proc/{member}/task/{task}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            pass
    return tree
