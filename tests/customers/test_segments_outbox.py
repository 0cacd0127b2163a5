"""The transition outbox (claimed exactly once) and custom segment evaluation."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from customers.models import (
    Customer,
    CustomSegmentMembership,
    LoyaltyStatus,
    Segment,
    SegmentStatistic,
    SegmentTransition,
)
from customers.segments.outbox import transitions_process
from customers.segments.rules import rules_clean
from customers.services.segments import (
    custom_segment_save,
    segment_transition_mark_processed,
    segments_reassign,
)
from tests.customers.loyalty_builders import make_tiers
from tests.customers.test_segments import _customers, _run, _score


def _segmented(n: int = 6) -> list[Customer]:
    customers = _customers(n)
    run = _run()
    for i, customer in enumerate(customers):
        _score(customer, run, predicted=str(10 * i), p_alive=0.1 if i == 0 else 0.9)
    segments_reassign(run_id=run.pk)
    return customers


@pytest.mark.django_db
def test_a_transition_is_claimed_once():
    _segmented(2)
    transition = SegmentTransition.objects.first()
    assert transition is not None

    assert segment_transition_mark_processed(transition_id=transition.pk) is True
    assert segment_transition_mark_processed(transition_id=transition.pk) is False
    assert SegmentTransition.objects.get(pk=transition.pk).processed_at is not None


@pytest.mark.django_db
def test_a_failing_handler_leaves_the_transition_pending():
    _segmented(2)
    handled: list[int] = []

    def handle(transition: SegmentTransition) -> None:
        if transition.customer.external_id == "C-0":
            raise RuntimeError("mail server down")
        handled.append(transition.customer_id)

    with pytest.raises(RuntimeError):
        transitions_process(handle=handle)
    failed = SegmentTransition.objects.get(customer__external_id="C-0")
    assert failed.processed_at is None  # rolled back with the handler's writes
    assert SegmentTransition.objects.exclude(pk=failed.pk).filter(processed_at=None).count() == (
        0 if handled else 1
    )

    transitions_process(handle=lambda t: handled.append(t.customer_id), limit=10)
    assert transitions_process(handle=lambda t: handled.append(t.customer_id)) == 0
    assert sorted(handled) == sorted(
        SegmentTransition.objects.values_list("customer_id", flat=True)
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_consumers_handle_each_transition_exactly_once():
    _segmented(40)
    handled: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def consume() -> None:
        try:
            start.wait()

            def handle(transition: SegmentTransition) -> None:
                with lock:
                    handled.append(transition.pk)

            transitions_process(handle=handle)
        finally:
            connection.close()

    threads = [threading.Thread(target=consume) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(handled) == sorted(SegmentTransition.objects.values_list("pk", flat=True))
    assert len(handled) == 40
    assert not SegmentTransition.objects.filter(processed_at__isnull=True).exists()


@pytest.mark.django_db
def test_custom_segments_are_evaluated_on_the_run():
    customers = _segmented(6)
    Customer.objects.filter(pk__in=[c.pk for c in customers[:3]]).update(country="DE")
    rich_germans = Segment.objects.create(
        code="rich-de",
        name="Rich Germans",
        kind=Segment.Kind.CUSTOM,
        rules=[
            {"field": "country", "op": "eq", "value": "de"},
            {"field": "predicted_clv", "op": "gte", "value": "10"},
        ],
    )
    not_churned = Segment.objects.create(
        code="alive",
        name="Not churned",
        kind=Segment.Kind.CUSTOM,
        rules=[{"field": "segment", "op": "ne", "value": "churned"}],
    )
    run = _run()
    for i, customer in enumerate(customers):
        _score(customer, run, predicted=str(10 * i), p_alive=0.1 if i == 0 else 0.9)

    segments_reassign(run_id=run.pk)

    def members(segment: Segment) -> set[str]:
        return set(
            CustomSegmentMembership.objects.filter(segment=segment).values_list(
                "customer__external_id", flat=True
            )
        )

    assert members(rich_germans) == {"C-1", "C-2"}
    assert members(not_churned) == {"C-1", "C-2", "C-3", "C-4", "C-5"}
    statistic = SegmentStatistic.objects.get(segment=rich_germans, run=run)
    assert (statistic.customers, statistic.total_predicted_clv) == (2, 30)


@pytest.mark.django_db
def test_a_custom_segment_can_select_a_loyalty_tier():
    customers = _segmented(4)
    tiers = make_tiers()
    for customer, tier in zip(customers[1:], [tiers["Gold"], tiers["Silver"], None], strict=True):
        LoyaltyStatus.objects.create(
            customer=customer, tier=tier, tier_since=date(2025, 1, 1), review_on=date(2026, 1, 1)
        )
    gold = Segment(
        code="gold",
        name="Gold or Silver",
        kind=Segment.Kind.CUSTOM,
        rules=[{"field": "tier", "op": "in", "value": "Gold, Silver"}],
    )

    custom_segment_save(segment=gold)

    members = CustomSegmentMembership.objects.filter(segment=gold)
    assert set(members.values_list("customer__external_id", flat=True)) == {"C-1", "C-2"}


def test_rules_are_checked_with_a_reason_per_rule():
    with pytest.raises(ValidationError) as error:
        rules_clean(
            [
                {"field": "nps", "op": "eq", "value": "promoter"},
                {"field": "country", "op": "gt", "value": "DE"},
                {"field": "p_alive", "op": "in", "value": "0.1, x"},
                {"field": "p_alive", "op": "lt", "value": ""},
            ]
        )
    assert error.value.messages == [
        "rule 1: unknown field 'nps' (one of predicted_clv, historical_clv, p_alive, "
        "expected_purchases_90d, rfm_recency, rfm_frequency, rfm_monetary, rfm_score, country, "
        "channel, segment, tier, nps_category)",
        "rule 2: Country code (e.g. DE) is text: use =, ≠ or 'is one of'",
        "rule 3: P(alive) needs a number from -1.7976931348623157e+308 to "
        "1.7976931348623157e+308, not 'x': not a number (use a dot as decimal separator, no "
        "currency sign)",
        "rule 4: needs a value",
    ]
    with pytest.raises(ValidationError, match="at least one rule"):
        rules_clean([])
