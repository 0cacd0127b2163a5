"""What the benchmark scripts share: the machine's description, memory readings, the report.

Each script owns one section of ``docs/benchmarks.md`` between its own markers and rewrites
only that section, so the scripts can run in any order.
"""

import os
import platform
from pathlib import Path

import psycopg
from psycopg import sql

DOC_TITLE = "# Benchmarks"
DOC_INTRO = (
    "Measurements of clvcrm's heavy paths on shop-sized synthetic data. Each section is "
    "written by the script under `benchmarks/` that it names; rerunning a script replaces "
    "only its own section. The figures depend on the machine, which each section describes, "
    "so compare them with a run on your own hardware rather than across machines."
)

# Every benchmark writes its own section of this report.
DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


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


def process_tree_pss(pid: int) -> int:
    """Proportional set size of ``pid`` and all its descendants, summed, in bytes.

    PSS divides each shared page among the processes sharing it, so the sum counts the
    pages a forked child shares with its parent once: the memory the whole tree holds.
    """
    total = 0
    for member in _process_tree(pid):
        try:
            with open(f"/proc/{member}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError, IndexError):
            pass  # gone meanwhile
    return total


def _process_tree(pid: int) -> list[int]:
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


class Server:
    """The PostgreSQL server, through its maintenance database."""

    def __init__(self, url: str) -> None:
        self.url = url

    def database_url(self, name: str) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.url)
        info["dbname"] = name
        return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]

    def database_uri(self, name: str) -> str:
        """The same database as a URL, for Django's ``DATABASE_URL``."""
        info = psycopg.conninfo.conninfo_to_dict(self.url)
        user = info.get("user", "postgres")
        password = f":{info['password']}" if info.get("password") else ""
        host, port = info.get("host", "127.0.0.1"), info.get("port", "5432")
        return f"postgres://{user}{password}@{host}:{port}/{name}"

    def exists(self, name: str) -> bool:
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        return row is not None

    def recreate(self, name: str) -> None:
        self.drop(name)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def comment(self, name: str) -> str:
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [name],
            ).fetchone()
        return str(row[0]) if row and row[0] else ""

    def set_comment(self, name: str, text: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(name), sql.Literal(text)
                )
            )

    def settings(self) -> dict[str, str]:
        names = (
            "server_version",
            "shared_buffers",
            "work_mem",
            "max_wal_size",
            "synchronous_commit",
            "max_parallel_workers_per_gather",
        )
        found: dict[str, str] = {}
        with psycopg.connect(self.url, autocommit=True) as conn:
            for name in names:
                row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
                found[name] = str(row[0]) if row else "?"
        return found
