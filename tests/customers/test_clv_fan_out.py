"""The CLV run fanned out as a chord over customer-id ranges (tasks in-process here;
tests/customers/test_worker.py runs it on real workers)."""

from datetime import date
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from clvcrm.pipeline import tasks as pipeline
from customers.clv_runs import compute, fan_out
from customers.models import (
    ClvRun,
    ClvRunPart,
    CustomerScore,
    CustomerSegment,
    SegmentReassignment,
    SegmentTransition,
)
from customers.services.clv_runs import clv_recalculate, clv_run_finish, clv_run_part_score
from tests.customers.test_clv_pipeline import (
    SCORE_FIELDS,
    _recalculate,
    _shop,
    _shop_more,
)
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db


def _scores() -> list[tuple]:
    return list(CustomerScore.objects.order_by("customer_id").values_list(*SCORE_FIELDS))


def _stage_exists(run_id: int) -> bool:
    return fan_out.stage_table(run_id) in connection.introspection.table_names()


def _nightly(settings, as_of: date, per_part: int = 0) -> ClvRun:
    """The nightly run through the pipeline's task, fanned out by ``per_part`` (in-process)."""
    settings.CLV_FAN_OUT_CUSTOMERS_PER_PART = per_part
    run_id = pipeline.clv_recalculate.delay(as_of.isoformat()).get()
    assert run_id is not None
    return ClvRun.objects.get(pk=run_id)


def _held_back(as_of: date, per_part: int) -> tuple[ClvRun, fan_out.FanOut]:
    """A fanned-out run whose parts are not sent: the test delivers its tasks by hand."""
    recalculation = clv_recalculate(as_of=as_of, customers_per_part=per_part)
    assert recalculation.fan_out is not None
    return recalculation.run, recalculation.fan_out


def test_ranges_cover_every_customer_in_parts_of_the_given_size():
    ids = np.array([3, 4, 9, 10, 11, 40, 41], dtype=np.int64)
    last = fan_out.LAST_ID
    assert fan_out.part_ranges(ids, 3) == [(0, 10), (10, 41), (41, last)]
    assert fan_out.part_ranges(ids, 7) == [(0, last)]
    assert fan_out.part_ranges(np.array([], dtype=np.int64), 5) == [(0, last)]
    with pytest.raises(ValueError, match="at least 1"):
        fan_out.part_ranges(ids, 0)


def test_a_fanned_out_run_writes_exactly_the_single_process_scores(cdnow_sample):
    single = _recalculate("--as-of", "1997-09-30")
    expected = _scores()

    fanned = _recalculate("--as-of", "1997-09-30", "--customers-per-part", "500")

    assert _scores() == expected
    assert set(CustomerScore.objects.values_list("run_id", flat=True)) == {fanned["id"]}
    for key in ("customers", "repeat_customers", "bgnbd", "gamma_gamma", "log_likelihood"):
        assert fanned[key] == single[key], key
    assert set(fanned["seconds"]) == {"aggregate", "fit", "parts", "swap", "total"}
    parts = ClvRunPart.objects.filter(run_id=fanned["id"])
    assert list(parts.values_list("number", "customers")) == [
        (1, 500),
        (2, 500),
        (3, 500),
        (4, 500),
        (5, 357),
    ]
    assert all(set(p.seconds) == {"aggregate", "score", "write"} for p in parts)
    assert not parts.filter(finished_at__isnull=True).exists()
    assert not _stage_exists(fanned["id"])


def test_a_run_without_prediction_fans_out_too(settings):
    _shop(customers=9, orders_each=3)
    _recalculate("--as-of", "2025-02-28")
    expected = _scores()

    run = _nightly(settings, date(2025, 2, 28), per_part=2)

    assert (run.status, run.customers, run.parts.count()) == ("succeeded", 9, 5)
    assert run.prediction_skipped.startswith("only 4 repeat buyers")
    assert _scores() == expected


def test_a_failing_part_fails_the_run_and_keeps_the_previous_scores(monkeypatch, settings):
    _shop(customers=9, orders_each=3)
    first = _nightly(settings, date(2025, 2, 28))
    before = _scores()
    real_score = compute.score
    calls = []

    def score_then_crash_on_the_third_part(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker lost its memory")
        return real_score(*args, **kwargs)

    monkeypatch.setattr(compute, "score", score_then_crash_on_the_third_part)
    with pytest.raises(CommandError, match="RuntimeError: worker lost its memory"):
        call_command(
            "recalculate_clv",
            "--as-of",
            "2025-03-31",
            "--customers-per-part",
            "2",
            stdout=StringIO(),
        )

    failed = ClvRun.objects.latest("id")
    assert failed.status == "failed"
    assert failed.error == f"part 3 of CLV run {failed.pk}: RuntimeError: worker lost its memory"
    assert _scores() == before
    assert set(CustomerScore.objects.values_list("run_id", flat=True)) == {first.pk}
    assert not _stage_exists(failed.pk)
    # Parts 1 and 2 staged their rows; nothing of the run reached the scores.
    assert list(
        failed.parts.filter(finished_at__isnull=False).values_list("number", flat=True)
    ) == [
        1,
        2,
    ]

    monkeypatch.setattr(compute, "score", real_score)
    again = _nightly(settings, date(2025, 3, 31), per_part=2)
    assert again.status == "succeeded"


def test_parts_and_the_finish_delivered_twice_change_nothing():
    _shop(customers=6, orders_each=3)
    run, parts = _held_back(date(2025, 2, 28), per_part=4)
    assert run.status == "running"
    cuts = parts.breakpoints

    staged = [clv_run_part_score(part_id=p, breakpoints=cuts) for p in parts.part_ids]
    again = [clv_run_part_score(part_id=p, breakpoints=cuts) for p in parts.part_ids]
    finished = clv_run_finish(run_id=run.pk)
    finished_again = clv_run_finish(run_id=run.pk)

    assert (staged, again) == ([4, 2], [0, 0])
    assert (finished.status, finished_again.status) == ("succeeded", "succeeded")
    assert CustomerScore.objects.filter(run=run).count() == 6
    assert finished_again.finished_at == finished.finished_at


def test_the_finish_refuses_a_run_with_a_missing_part():
    _shop(customers=6, orders_each=3)
    run, parts = _held_back(date(2025, 2, 28), per_part=4)
    cuts = parts.breakpoints
    clv_run_part_score(part_id=parts.part_ids[0], breakpoints=cuts)

    with pytest.raises(RuntimeError, match="1 of the run's parts did not finish"):
        clv_run_finish(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.error) == (
        "failed",
        "RuntimeError: 1 of the run's parts did not finish",
    )
    assert not CustomerScore.objects.exists()
    assert not _stage_exists(run.pk)
    # A late part of the failed run stages nothing.
    assert clv_run_part_score(part_id=parts.part_ids[1], breakpoints=cuts) == 0


def test_fan_out_is_off_by_default(settings):
    _shop(customers=4, orders_each=2)
    assert settings.CLV_FAN_OUT_CUSTOMERS_PER_PART == 0
    recalculation = clv_recalculate(as_of=date(2025, 2, 28))
    run = recalculation.run
    assert (recalculation.fan_out, run.status, run.parts.count()) == (None, "succeeded", 0)

    settings.CLV_FAN_OUT_CUSTOMERS_PER_PART = 3
    recalculation = clv_recalculate(as_of=date(2025, 2, 28))
    run = recalculation.run
    assert (run.status, run.parts.count()) == ("running", 2)
    assert recalculation.fan_out is not None
    assert recalculation.fan_out.part_ids == list(run.parts.values_list("pk", flat=True))


def test_the_command_refuses_a_negative_part_size():
    with pytest.raises(CommandError, match="expected a whole number, 0 or more, got '-1'"):
        call_command("recalculate_clv", "--customers-per-part", "-1", stdout=StringIO())


def test_the_next_fanned_out_run_drops_stages_left_behind(settings):
    _shop(customers=4, orders_each=2)
    dead = ClvRun.objects.create(as_of=date(2025, 2, 1), status=ClvRun.Status.FAILED)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {fan_out.stage_table(dead.pk)} (customer_id bigint)")

    _nightly(settings, date(2025, 2, 28), per_part=2)

    assert not _stage_exists(dead.pk)


def test_a_shop_without_orders_fans_out_to_an_empty_score_table(settings):
    run = _nightly(settings, date(2025, 2, 28), per_part=2)

    assert (run.status, run.customers, run.parts.count()) == ("succeeded", 0, 1)
    assert not CustomerScore.objects.exists()


def test_a_fanned_out_run_hands_over_to_segment_reassignment_once(
    django_capture_on_commit_callbacks, settings
):
    _shop(customers=9, orders_each=3)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = _nightly(settings, date(2025, 2, 28), per_part=4)

    # The reassignment and the dashboard's aggregates, queued by the chord's callback; then
    # the product affinities, the campaign triggers and the campaigns' effect on CLV the
    # reassignment queues.
    assert len(callbacks) == 5
    assert SegmentReassignment.objects.filter(run=run).count() == 1
    assert CustomerSegment.objects.filter(run=run).count() == 9
    assert SegmentTransition.objects.filter(run=run).count() == 9


def test_a_customer_whose_orders_arrive_during_the_run_is_scored_by_the_last_part():
    _shop(customers=4, orders_each=2)
    run, parts = _held_back(date(2025, 2, 28), per_part=2)
    _shop_more(start=100, customers=1)  # imported after the coordinator read the orders

    cuts = parts.breakpoints
    staged = [clv_run_part_score(part_id=p, breakpoints=cuts) for p in parts.part_ids]
    clv_run_finish(run_id=run.pk)

    assert staged == [2, 3]
    assert CustomerScore.objects.filter(customer__external_id="C100").exists()


def test_a_part_and_the_finish_cost_a_fixed_number_of_queries(django_assert_num_queries):
    _shop(customers=6, orders_each=3)
    _shop_more(start=6, customers=30)
    run, parts = _held_back(date(2025, 2, 28), per_part=30)
    cuts = parts.breakpoints

    # Parts of 30 and of 6 customers alike: the part, the range's purchases and refunds,
    # then in a savepoint the part claimed, its scores staged (COPY on PostgreSQL, one
    # executemany on SQLite) and the part marked done.
    for part_id in parts.part_ids:
        with django_assert_num_queries(8):
            clv_run_part_score(part_id=part_id, breakpoints=cuts)
    # The run, its unfinished parts counted, then in a savepoint the run locked, the staged
    # scores made every customer's, the stage dropped, the parts' customers summed, success
    # recorded; the run read back. PostgreSQL swaps in a fresh score table instead of an
    # upsert and a delete: its constraints and indexes read, added and renamed.
    with django_assert_num_queries(per_backend(sqlite=11, postgresql=42)):
        finished = clv_run_finish(run_id=run.pk)

    assert finished.status == "succeeded"
    assert sorted(ClvRunPart.objects.filter(run=run).values_list("customers", flat=True)) == [
        6,
        30,
    ]
