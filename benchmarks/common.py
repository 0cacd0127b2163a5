"""What the benchmark scripts share: the machine's description, memory readings, the report.

Each script owns one section of ``docs/benchmarks.md`` between its own markers and rewrites
only that section, so the scripts can run in any order.
"""

import os
import platform
from pathlib import Path

DOC_TITLE = "# Benchmarks"
DOC_INTRO = (
    "Measurements of clvcrm's heavy paths on shop-sized synthetic data. Each section is "
    "written by the script under `benchmarks/` that it names; rerunning a script replaces "
    "only its own section. The figures depend on the machine, which each section describes, "
    "so compare them with a run on your own hardware rather than across machines."
)


def machine() -> dict[str, str]:
    """What the report says about the hardware (like ``nproc``, ``/proc/cpuinfo``)."""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
                break
    return {
        "cpus": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "ram": f"{memory / 2**30:.1f} GiB",
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load": load_average(),
    }


def load_average() -> str:
    """The 1-minute load average: other work on the machine slows every figure down."""
    with open("/proc/loadavg") as info:
        return info.read().split()[0]


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


def write_section(path: Path, name: str, section: str) -> None:
    """Replace the section ``name`` of ``path`` (or add it); keep everything else."""
    start_marker, end_marker = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start_marker}\n{section}\n{end_marker}"
    text = path.read_text() if path.exists() else f"{DOC_TITLE}\n\n{DOC_INTRO}\n"
    start, end = text.find(start_marker), text.find(end_marker)
    if start >= 0 and end > start:
        text = text[:start] + block + text[end + len(end_marker) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def say(message: str) -> None:
    print(message, flush=True)
