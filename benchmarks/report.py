"""The report writer: each benchmark's section of ``docs/benchmarks.md`` and its common lines.

Each benchmark owns one section of the report between its own markers
(``<!-- bench:NAME:start -->`` / ``<!-- bench:NAME:end -->``) and rewrites only that
section, so the benchmarks can run in any order. What every section says the same way
(the machine, seconds of every run, whether a target is met, how to reproduce) is
rendered here.
"""

import argparse
import os
import platform
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from benchmarks import ROOT
from benchmarks.database import Server

DOC_TITLE = "# Benchmarks"
DOC_INTRO = (
    "Measurements of clvcrm's heavy paths on shop-sized synthetic data. Each section is "
    "written by the script under `benchmarks/` that it names; rerunning a script replaces "
    "only its own section. The figures depend on the machine, which each section describes, "
    "so compare them with a run on your own hardware rather than across machines."
)
DOC_PATH = ROOT / "docs" / "benchmarks.md"
SHARED_MACHINE = "the machine is shared: other work slows every figure down"
MB = 1_000_000  # the reports' MB are 10^6 bytes


def say(message: str) -> None:
    print(message, flush=True)


def failure_say(failure: Exception, workdir: Path, database: str) -> None:
    """Why the run failed, and that its files, logs and database are kept to look at."""
    say(
        f"\nBENCHMARK FAILED: {failure}\nFiles and logs kept in {workdir}; database "
        f"{database} kept as it was (the next run drops it)."
    )


def workdir_release(workdir: Path, *, keep: bool) -> None:
    """Delete the run's temporary directory, unless it is to be kept (then say where)."""
    if keep:
        say(f"Kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """``--doc``, ``--no-doc`` and ``--strict``: where the section goes, and the exit status."""
    parser.add_argument("--doc", type=Path, default=DOC_PATH, help="report file to update")
    parser.add_argument("--no-doc", action="store_true", help="print only, do not write --doc")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")


def section_publish(args: argparse.Namespace, name: str, section: str) -> None:
    """Print the section; write it into ``args.doc`` unless ``args.no_doc``."""
    say("\n" + section + "\n")
    if not args.no_doc:
        section_write(args.doc, name, section)
        say(f"Updated the {name} section of {args.doc}")


def section_write(path: Path, name: str, section: str) -> None:
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


def machine_announce(server: Server) -> tuple[dict[str, str], dict[str, str]]:
    """The machine (``machine()``) and the server's settings, said once as a run starts."""
    box, pg = machine(), server.settings()
    say(
        f"Machine: {box['cpus']} CPUs ({box['cpu']}), {box['ram']} RAM; PostgreSQL "
        f"{pg['server_version']}; load average {box['load']}"
    )
    return box, pg


def load_average() -> str:
    """The 1-minute load average: other work on the machine slows every figure down."""
    with open("/proc/loadavg") as info:
        return info.read().split()[0]


def machine_line(
    box: Mapping[str, str],
    pg: Mapping[str, str],
    settings: Sequence[str],
    *,
    why: str = SHARED_MACHINE,
    notes: Mapping[str, str] | None = None,
) -> str:
    """The section's "Machine" bullet: hardware, PostgreSQL and the named ``settings``.

    ``box`` is ``machine()`` plus ``load_end``, the load average when the run ended;
    ``notes`` adds a remark after a setting's value; ``why`` ends the line.
    """
    shown = ", ".join(
        f"{name} {pg[name]}" + (f" {notes[name]}" if notes and name in notes else "")
        for name in settings
    )
    return (
        f"- **Machine:** {box['cpus']} CPUs ({box['cpu']}), {box['ram']} RAM, Linux "
        f"{box['kernel']}; PostgreSQL {pg['server_version']} on the same machine ({shown}); "
        f"Python {box['python']}. Load average {box['load']} when the run started, "
        f"{box['load_end']} when it ended ({why})."
    )


def seconds_list(values: Sequence[float], digits: int = 1) -> str:
    """Every run's figure, in order: ``1.0 · 2.0 · 3.0``."""
    return " · ".join(f"{value:.{digits}f}" for value in values)


def medians_text(count: int, what: str = "run") -> str:
    return f"medians of {count} {what}s" if count > 1 else f"one {what}"


def megabytes(value: float | None) -> str:
    """Bytes as whole MB with thousands separators (``?``: not measured)."""
    return "?" if value is None else f"{value / MB:,.0f}"


def met(ok: bool | None) -> str:
    return {True: "**met**", False: "**not met**", None: "**not measured**"}[ok]


def command_line(module: str, *options: str) -> str:
    """The command that reproduces a run: ``.venv/bin/python -m benchmarks.MODULE ...``."""
    return " ".join([f".venv/bin/python -m benchmarks.{module}", *options])
