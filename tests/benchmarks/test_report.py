"""The report writer: a section rewritten between its markers, the machine line as published."""

import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks import api_report, clv_report, import_report, loyalty_tiers, segments_reassign
from benchmarks.report import DOC_INTRO, DOC_PATH, DOC_TITLE, machine_line, section_write

DOC = f"{DOC_TITLE}\n\n{DOC_INTRO}\n"


def test_a_section_is_replaced_between_its_markers_and_nothing_else(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        f"{DOC}\n<!-- bench:one:start -->\n## One\n\nold figures\n<!-- bench:one:end -->\n\n"
        "<!-- bench:two:start -->\n## Two\n<!-- bench:two:end -->\ntrailing words\n"
    )

    section_write(doc, "one", "## One\n\nnew figures")

    assert doc.read_text() == (
        f"{DOC}\n<!-- bench:one:start -->\n## One\n\nnew figures\n<!-- bench:one:end -->\n\n"
        "<!-- bench:two:start -->\n## Two\n<!-- bench:two:end -->\ntrailing words\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["benchmarks.md"]  # no temporary left


def test_a_new_section_is_appended_and_a_new_file_starts_with_the_intro(tmp_path: Path) -> None:
    doc = tmp_path / "docs" / "benchmarks.md"

    section_write(doc, "one", "## One")
    section_write(doc, "two", "## Two")

    assert doc.read_text() == (
        f"{DOC}\n<!-- bench:one:start -->\n## One\n<!-- bench:one:end -->\n\n"
        "<!-- bench:two:start -->\n## Two\n<!-- bench:two:end -->\n"
    )


def _published(heading: str) -> str:
    """The Machine line of a section of the committed docs/benchmarks.md."""
    section = DOC_PATH.read_text().split(heading, 1)[1]
    return next(line for line in section.splitlines() if line.startswith("- **Machine:**"))


def _figures(line: str) -> tuple[dict[str, str], dict[str, str]]:
    """The machine and PostgreSQL figures a published Machine line was written from."""
    box = re.search(
        r"\*\* (?P<cpus>\d+) CPUs \((?P<cpu>.+?)\), (?P<ram>[\d.]+ GiB) RAM, Linux "
        r"(?P<kernel>\S+); PostgreSQL (?P<server_version>.+?) on the same machine .*"
        r"Python (?P<python>[\d.]+)\. Load average (?P<load>[\d.]+) when the run started, "
        r"(?P<load_end>[\d.]+) when",
        line,
    )
    assert box is not None, line
    pg = dict(re.findall(r"(\w+) (\d+MB|\d+GB|\d+|on|off)(?=[,;) ])", line.split("machine (")[1]))
    return box.groupdict(), {"server_version": box["server_version"], **pg}


@pytest.mark.parametrize(
    ("heading", "settings", "options"),
    [
        ("## Order import", import_report.PG_SETTINGS, {"why": import_report.WHY}),
        ("## CLV recalculation", clv_report.PG_SETTINGS, {"why": clv_report.WHY_ONE_RUN}),
        ("## Segment reassignment", segments_reassign.PG_SETTINGS, {}),
        (
            "## Loyalty tier evaluation",
            loyalty_tiers.PG_SETTINGS,
            {"notes": {"work_mem": loyalty_tiers.WORK_MEM_NOTE}},
        ),
        ("## Order ingestion through the API", api_report.PG_SETTINGS, {"why": api_report.WHY}),
    ],
)
def test_the_machine_line_reads_as_each_section_publishes_it(
    heading: str, settings: tuple[str, ...], options: dict[str, Any]
) -> None:
    published = _published(heading)
    box, pg = _figures(published)

    assert machine_line(box, pg, settings, **options) == published
