"""The campaign benchmark's CPU paragraph: every process's share, the budget, the cores used."""

from types import SimpleNamespace

from benchmarks.campaign_processes import SinkFigures
from benchmarks.campaign_report import cpu_text, rates_list
from benchmarks.campaign_send import Results


def test_the_cpu_paragraph_counts_the_database_and_the_cores_the_send_kept_busy() -> None:
    send = SinkFigures(90_000, 90_000, 0, 1.0, 181.0, 450, 190_000_000)  # 500/s
    floor = SinkFigures(20_000, 20_000, 0, 1.0, 17.0, 1, 43_000_000)  # 1,250/s
    results = SimpleNamespace(
        args=SimpleNamespace(workers=2),
        send=send,
        floor=floor,
        send_cpu={"workers": 162.0, "sink": 69.0, "postgres": 60.0},
    )

    text = cpu_text(results)  # type: ignore[arg-type]

    assert text.startswith(
        "CPU while sending: the 2 workers 162 s (1.80 ms per email), the sink 69 s (0.77 ms "
        "per email), PostgreSQL 60 s (0.67 ms per email: its processes on this machine, "
        "background ones included). Over 180 s of sending, 2 cores offer 360 CPU seconds. "
        "Half the bare rate, 625/s, leaves each email 3.20 ms of CPU on 2 cores for every "
        "process together; the workers, the sink and PostgreSQL spent 3.23 ms, and kept "
        "1.62 of the 2 cores busy."
    )
    assert text.endswith("a worker took 4.00 ms per email, 1.80 ms of it its own CPU.")


def test_the_floor_is_the_bare_loops_round_of_median_rate() -> None:
    rounds = [
        SinkFigures(20_000, 20_000, 0, 1.0, 1.0 + seconds, 1, 43_000_000)
        for seconds in (16.0, 20.0, 10.0)
    ]  # 1,250/s, 1,000/s, 2,000/s
    results = Results(SimpleNamespace(), {}, {}, floors=rounds)  # type: ignore[arg-type]

    assert results.floor is rounds[0]
    assert rates_list(results.floors) == "1,250/s · 1,000/s · 2,000/s"
    assert Results(SimpleNamespace(), {}, {}).floor is None  # type: ignore[arg-type]
