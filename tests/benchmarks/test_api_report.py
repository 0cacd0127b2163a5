"""The API benchmark's section: medians of the rounds, the ratio to the CSV rate, the target."""

import argparse

from benchmarks.api_report import ApiRun, Config, CsvRun, Results, Round, render_section

ONE, TWO = Config(1, 1), Config(2, 2)
BOX = {
    "cpus": "2",
    "cpu": "AMD EPYC",
    "ram": "23.5 GiB",
    "kernel": "6.1",
    "python": "3.11.7",
    "load": "1.50",
    "load_end": "2.50",
}
HEADER = (
    "| | orders/s | of the CSV rate | seconds | CPU s (server / PostgreSQL / client) "
    "| slowest request |"
)
PG = {"server_version": "15.20", "shared_buffers": "128MB", "synchronous_commit": "on"}


def _round(csv_seconds: float, one: float, two: float) -> Round:
    return Round(
        CsvRun(seconds=csv_seconds + 3, startup=3, cpu=4.0),
        {
            ONE: ApiRun(
                one,
                200,
                server_cpu=10.0,
                database_cpu=8.0,
                client_cpu=1.0,
                slowest=0.25,
                warnings=0,
            ),
            TWO: ApiRun(
                two, 200, server_cpu=12.0, database_cpu=9.0, client_cpu=1.5, slowest=0.5, warnings=0
            ),
        },
        ["CSV", ONE.label, TWO.label],
    )


def _args(**changes: object) -> argparse.Namespace:
    options = {"base": 200_000, "orders": 100_000, "repeat": 3, "batch": 500}
    return argparse.Namespace(**{**options, "workers": [1, 2], "connections": [1, 2], **changes})


def _results() -> Results:
    rounds = [_round(2.0, 50.0, 40.0), _round(2.5, 20.0, 25.0), _round(4.0, 25.0, 30.0)]
    return Results(rounds, 100_000, 200_000, 20_000, 40_000, [900, 1_000, 1_100])


def test_the_table_shows_medians_and_each_configuration_against_the_csv_rate() -> None:
    section = render_section(_args(), _results(), BOX, PG, minutes=4.4).splitlines()

    table = section[section.index(HEADER) :]
    assert table[2:6] == [
        "| CSV import, start-up subtracted | 40,000 | 100% | 2.5 | 4.0 (importer) | — |",
        "| CSV import, wall time | 18,182 | 45% | 5.5 | — | — |",
        "| API, 1 worker, 1 connection | 4,000 | 10% | 25.0 | 10.0 / 8.0 / 1.0 | 0.25 s |",
        "| API, 2 workers, 2 connections | 3,333 | 8% | 30.0 | 12.0 / 9.0 / 1.5 | 0.50 s |",
    ]
    assert table[7] == (
        "Every round (orders/s): CSV 50,000 · 40,000 · 25,000; API 1 worker, 1 connection "
        "2,000 · 5,000 · 4,000; 2 workers, 2 connections 2,500 · 4,000 · 3,333. Order of the "
        "paths in each round: CSV → 1 worker, 1 connection → 2 workers, 2 connections / "
        "CSV → 1 worker, 1 connection → 2 workers, 2 connections / CSV → 1 worker, 1 "
        "connection → 2 workers, 2 connections."
    )
    assert section[2].endswith("(medians of 3 rounds; the whole benchmark took 4 min).")
    assert "(900 to 1,100 new customers per part)" in section[5]


def test_the_target_is_judged_on_the_best_configuration() -> None:
    results = _results()
    section = render_section(_args(), results, BOX, PG, minutes=4.4)

    assert results.best() == ONE
    assert not results.met
    assert (
        "**Target:** the API at least 50% of the CSV import's rate in the same run: "
        "**not met** (best: 1 worker, 1 connection, 4,000 orders/s, 10% of 40,000)."
    ) in section


def test_the_target_is_met_at_half_the_csv_rate() -> None:
    rounds = [_round(2.0, 5.0, 4.0)]

    assert Results(rounds, 100_000, 200_000, 20_000, 40_000, [1_000]).met  # 25,000 of 50,000


def test_the_command_repeats_the_sizes_and_only_the_options_changed() -> None:
    default = render_section(_args(), _results(), BOX, PG, minutes=1).splitlines()
    other = render_section(
        _args(base=20_000, orders=5_000, repeat=1, workers=[2], batch=1000),
        _results(),
        BOX,
        PG,
        minutes=1,
    ).splitlines()

    assert default[-2] == (
        ".venv/bin/python -m benchmarks.api_ingestion --base 200000 --orders 100000"
    )
    assert other[-2] == (
        ".venv/bin/python -m benchmarks.api_ingestion --base 20000 --orders 5000 --repeat 1 "
        "--workers 2 --batch 1000"
    )
