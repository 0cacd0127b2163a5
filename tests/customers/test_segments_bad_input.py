"""Bad rule and threshold values: refused with the reason, never a 500 or a stopped run."""

import json
import logging
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from customers.models import (
    ClvRun,
    Customer,
    CustomerScore,
    CustomerSegment,
    CustomSegmentMembership,
    Segment,
    SegmentReassignment,
    SegmentStatistic,
    SegmentThresholds,
    SegmentTransition,
)
from customers.segments.rules import RULE_FIELDS, rules_clean, rules_queryset
from customers.services.segments import custom_segment_save, segments_reassign
from tests.customers.test_segments import _customers, _run, _score
from tests.customers.test_segments_outbox import _segmented
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db

OVERFLOW = [{"field": "predicted_clv", "op": "gte", "value": "1e999999"}]
OVERFLOW_REFUSED = (
    "rule 1: Predicted CLV needs a number from -999999999999.99 to 999999999999.99 with at "
    "most 2 decimal places, not '1e999999': larger than 999999999999.99"
)
NOT_A_NUMBER = "not a number (use a dot as decimal separator, no currency sign)"
DOUBLE = "a number from -1.7976931348623157e+308 to 1.7976931348623157e+308"


def test_each_rule_field_says_what_its_column_holds():
    assert {name: field.accepted for name, field in RULE_FIELDS.items()} == {
        "predicted_clv": "a number from -999999999999.99 to 999999999999.99 with at most 2 "
        "decimal places",
        "historical_clv": "a number from -999999999999.99 to 999999999999.99 with at most 2 "
        "decimal places",
        "p_alive": DOUBLE,
        "expected_purchases_90d": DOUBLE,
        "rfm_recency": "a whole number from 1 to 5",
        "rfm_frequency": "a whole number from 1 to 5",
        "rfm_monetary": "a whole number from 1 to 5",
        "rfm_score": "text of at most 3 characters",
        "country": "text of at most 2 characters",
        "channel": "text of at most 100 characters",
        "segment": "text of at most 50 characters",
        "tier": "text of at most 50 characters",
        "nps_category": "one of promoter, passive, detractor",
    }


# (field, a value just inside what the column holds, one just outside, why it is refused)
BOUNDS = [
    ("predicted_clv", "999999999999.99", "1000000000000", "larger than 999999999999.99"),
    ("predicted_clv", "-999999999999.99", "-1000000000000", "smaller than -999999999999.99"),
    ("historical_clv", "0.01", "0.001", "more than 2 decimal places"),
    (
        "p_alive",
        "1.7976931348623157e308",
        "1.7976931348623159e308",  # rounds to infinity
        "must be at most 1.7976931348623157e+308",
    ),
    (
        "expected_purchases_90d",
        "-1.7976931348623157e308",
        "-1.7976931348623159e308",
        "must be at least -1.7976931348623157e+308",
    ),
    ("p_alive", "0.5", "nan", NOT_A_NUMBER),
    ("rfm_recency", "1", "0", "must be at least 1"),
    ("rfm_frequency", "5", "6", "must be at most 5"),
    ("rfm_monetary", "3", "3.0", "not a whole number"),
    ("rfm_score", "555", "5555", "longer than 3 characters"),
    ("country", "DE", "DEU", "longer than 2 characters"),
    ("channel", "c" * 100, "c" * 101, "longer than 100 characters"),
    ("segment", "s" * 50, "s" * 51, "longer than 50 characters"),
    ("tier", "t" * 50, "t" * 51, "longer than 50 characters"),
]


@pytest.mark.parametrize(("name", "inside", "outside", "reason"), BOUNDS)
def test_a_rule_value_just_inside_its_column_is_taken_just_outside_refused(
    name, inside, outside, reason
):
    field = RULE_FIELDS[name]
    op = "eq" if field.kind == "text" else "gte"

    assert rules_clean([{"field": name, "op": op, "value": inside}]) == [
        {"field": name, "op": op, "value": inside}
    ]
    with pytest.raises(ValidationError) as refused:
        rules_clean([{"field": name, "op": op, "value": outside}])
    shown = outside if len(outside) <= 40 else outside[:39] + "…"
    assert refused.value.messages == [
        f"rule 1: {field.label} needs {field.accepted}, not {shown!r}: {reason}"
    ]


EDGES = [
    {"field": "predicted_clv", "op": "lte", "value": "999999999999.99"},
    {"field": "predicted_clv", "op": "gt", "value": "-999999999999.99"},
    {"field": "historical_clv", "op": "gte", "value": "0.01"},
    {"field": "p_alive", "op": "lte", "value": "1.7976931348623157e308"},
    {"field": "p_alive", "op": "gt", "value": "-1.7976931348623157e308"},
    {"field": "rfm_recency", "op": "gte", "value": "1"},
    {"field": "rfm_frequency", "op": "lte", "value": "5"},
    {"field": "rfm_monetary", "op": "in", "value": "1, 2, 3, 4, 5"},
    {"field": "rfm_score", "op": "ne", "value": "555"},
]


def test_the_values_at_the_edges_evaluate_in_the_database():
    _segmented(3)  # every one scored: P(alive) 0.1 or 0.9, RFM 333, historical CLV 100

    matching = rules_queryset(rules_clean(EDGES))
    texts = [
        {"field": n, "op": "eq", "value": v} for n, v, _, _ in BOUNDS if n in ("tier", "channel")
    ]

    assert set(matching.values_list("external_id", flat=True)) == {"C-0", "C-1", "C-2"}
    assert not rules_queryset(rules_clean(texts[:1])).exists()
    assert not rules_queryset(rules_clean(texts[1:])).exists()


def test_every_value_of_a_list_is_checked_and_an_empty_list_is_refused():
    with pytest.raises(ValidationError) as refused:
        rules_clean(
            [
                {"field": "rfm_recency", "op": "in", "value": "1, 5, 7"},
                {"field": "country", "op": "in", "value": " , ,"},
            ]
        )
    assert refused.value.messages == [
        "rule 1: RFM recency (1–5) needs a whole number from 1 to 5, not '7': must be at most 5",
        "rule 2: needs a value",
    ]


# ---------------------------------------------------------------- the staff form


def _form(value: str) -> dict[str, str]:
    return {
        "name": "Rich",
        "code": "",
        "description": "",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-0-field": "predicted_clv",
        "rules-0-op": "gte",
        "rules-0-value": value,
    }


@pytest.fixture
def marketing(make_staff) -> Client:
    client = Client()
    client.force_login(make_staff("Marketing"))
    return client


def test_the_staff_form_answers_an_overflowing_value_with_the_reason(marketing):
    _segmented(4)  # a segmented run: a saved segment would be evaluated at once

    response = marketing.post("/customers/segments/new/", _form("1e999999"))

    assert response.status_code == 200
    assert response.context["rules"].non_form_errors() == [OVERFLOW_REFUSED]
    assert not Segment.objects.filter(kind=Segment.Kind.CUSTOM).exists()
    assert not CustomSegmentMembership.objects.exists()


def test_the_staff_form_keeps_the_rules_of_a_segment_it_refuses(marketing):
    _segmented(4)
    rich = custom_segment_save(
        segment=Segment(
            code="rich", name="Rich", rules=[{"field": "p_alive", "op": "gt", "value": "0.5"}]
        )
    )
    members = list(CustomSegmentMembership.objects.filter(segment=rich).values_list("customer_id"))

    response = marketing.post(f"/customers/segments/{rich.pk}/edit/", _form("-1e999999"))

    assert response.status_code == 200
    assert response.context["rules"].non_form_errors() == [
        "rule 1: Predicted CLV needs a number from -999999999999.99 to 999999999999.99 with at "
        "most 2 decimal places, not '-1e999999': smaller than -999999999999.99"
    ]
    assert Segment.objects.get(pk=rich.pk).rules == [
        {"field": "p_alive", "op": "gt", "value": "0.5"}
    ]
    assert (
        list(CustomSegmentMembership.objects.filter(segment=rich).values_list("customer_id"))
        == members
    )


# ---------------------------------------------------------------- the admin


def _admin_form(rules: str, **extra: str) -> dict[str, str]:
    return {
        "code": "rich",
        "name": "Rich",
        "description": "",
        "rules": rules,
        "priority": "100",
        **extra,
    }


@pytest.mark.parametrize(
    ("rules", "refused"),
    [
        (json.dumps(OVERFLOW), OVERFLOW_REFUSED),
        (  # a JSON number too large for a float is read as infinity
            '[{"field": "p_alive", "op": "lt", "value": 1e999999}]',
            f"rule 1: P(alive) needs {DOUBLE}, not 'inf': {NOT_A_NUMBER}",
        ),
        (
            '[{"field": "rfm_score", "op": "eq", "value": "5555"}]',
            "rule 1: RFM score (e.g. 555) needs text of at most 3 characters, not '5555': "
            "longer than 3 characters",
        ),
        (  # PostgreSQL cannot store or compare text holding NUL
            '[{"field": "tier", "op": "eq", "value": "Gold\\u0000"}]',
            "rule 1: Loyalty tier (e.g. Gold) needs text of at most 50 characters, "
            "not 'Gold\\x00': contains a NUL character",
        ),
    ],
)
def test_the_admin_answers_a_bad_rule_with_the_reason_and_saves_nothing(
    admin_client, rules, refused
):
    _segmented(2)
    # "kind" is not a field of the form: a segment added here is custom and checked.
    response = admin_client.post(
        "/admin/customers/segment/add/", _admin_form(rules, kind="default")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"rules": [refused]}
    assert not Segment.objects.filter(code="rich").exists()
    assert not CustomSegmentMembership.objects.exists()


def test_the_admin_refuses_to_change_a_custom_segment_into_bad_rules(admin_client):
    _segmented(2)
    good = [{"field": "country", "op": "eq", "value": "DE"}]
    rich = Segment.objects.create(code="rich", name="Rich", kind=Segment.Kind.CUSTOM, rules=good)

    response = admin_client.post(
        f"/admin/customers/segment/{rich.pk}/change/", _admin_form(json.dumps(OVERFLOW))
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"rules": [OVERFLOW_REFUSED]}
    assert Segment.objects.get(pk=rich.pk).rules == good


# ---------------------------------------------------------------- broken segments


def _members(segment: Segment) -> set[str]:
    memberships = CustomSegmentMembership.objects.filter(segment=segment)
    return set(memberships.values_list("customer__external_id", flat=True))


def _with_bad_segment() -> tuple[Segment, Segment]:
    """A good custom segment and one whose rule was written into the database by hand."""
    good = Segment.objects.create(
        code="good",
        name="Good",
        kind=Segment.Kind.CUSTOM,
        rules=[{"field": "predicted_clv", "op": "gte", "value": "30"}],
    )
    bad = Segment.objects.create(code="bad", name="Bad", kind=Segment.Kind.CUSTOM, rules=[])
    Segment.objects.filter(pk=bad.pk).update(rules=OVERFLOW)  # no check on this path
    return good, bad


def test_a_rule_edited_by_hand_breaks_only_its_own_segment(caplog):
    customers = _segmented(6)  # predicted CLV 0, 10, ..., 50
    good, bad = _with_bad_segment()
    run = _run()
    for i, customer in enumerate(customers):
        _score(customer, run, predicted=str(10 * i), p_alive=0.1 if i == 0 else 0.9)

    with caplog.at_level(logging.ERROR, logger="customers.segments.custom"):
        segments_reassign(run_id=run.pk)

    bad.refresh_from_db()
    assert (bad.is_broken, bad.broken_reason) == (True, OVERFLOW_REFUSED)
    assert _members(good) == {"C-3", "C-4", "C-5"}
    assert _members(bad) == set()
    assert [r.getMessage() for r in caplog.records] == [
        f"custom segment bad (id {bad.pk}) is broken and skipped: {OVERFLOW_REFUSED}"
    ]
    # The next run finds it broken again: it stays broken since the first failure.
    since = bad.broken_since
    nxt = _run()
    CustomerScore.objects.update(run=nxt)
    segments_reassign(run_id=nxt.pk)
    bad.refresh_from_db()
    assert (bad.broken_since, bad.broken_reason) == (since, OVERFLOW_REFUSED)


def test_saving_a_corrected_rule_clears_the_broken_state(marketing):
    _segmented(6)
    _, bad = _with_bad_segment()
    segments_reassign(run_id=SegmentReassignment.objects.get().run_id)
    assert Segment.objects.get(pk=bad.pk).is_broken

    form = {**_form("40"), "name": "Bad", "code": "bad"}
    response = marketing.post(f"/customers/segments/{bad.pk}/edit/", form)

    assert response.status_code == 302
    bad.refresh_from_db()
    assert (bad.is_broken, bad.broken_reason) == (False, "")
    assert _members(bad) == {"C-4", "C-5"}


def test_saving_a_corrected_rule_in_the_admin_clears_the_broken_state(admin_client):
    _segmented(6)
    _, bad = _with_bad_segment()
    segments_reassign(run_id=SegmentReassignment.objects.get().run_id)
    change = admin_client.get(f"/admin/customers/segment/{bad.pk}/change/")
    assert OVERFLOW_REFUSED.replace("'", "&#x27;") in change.content.decode()

    rules = json.dumps([{"field": "predicted_clv", "op": "gte", "value": "40"}])
    data = {**_admin_form(rules), "code": "bad"}
    response = admin_client.post(f"/admin/customers/segment/{bad.pk}/change/", data)

    assert response.status_code == 302
    bad.refresh_from_db()
    assert (bad.is_broken, bad.broken_reason, bad.kind) == (False, "", Segment.Kind.CUSTOM)
    assert _members(bad) == {"C-4", "C-5"}


def test_the_pages_show_a_broken_segment_and_why(analyst_client):
    _segmented(3)
    _, bad = _with_bad_segment()
    segments_reassign(run_id=SegmentReassignment.objects.get().run_id)
    bad.refresh_from_db()
    when = timezone.localtime(bad.broken_since).strftime("%Y-%m-%d %H:%M")
    escaped = OVERFLOW_REFUSED.replace("'", "&#x27;")

    overview = analyst_client.get("/customers/segments/").content.decode()
    detail = analyst_client.get(f"/customers/segments/{bad.pk}/").content.decode()

    assert '<span class="pill status-failed">broken</span>' in overview
    assert f"Not evaluated since {when}: {escaped}</span>" in overview
    assert overview.count("status-failed") == 1  # the good segment is not marked
    assert (
        f"could not be evaluated (since {when}): {escaped}. It has no members until its rules "
        "evaluate again" in detail
    )


# ---------------------------------------------------------------- thresholds

THRESHOLDS = {
    "new_customer_days": "60",
    "churn_p_alive": "0.15",
    "one_time_churn_days": "365",
    "no_model_churn_days": "365",
    "at_risk_p_alive": "0.5",
    "at_risk_spend_drop": "0.5",
    "high_value_share": "0.2",
    "hysteresis_margin": "0.1",
}
SHARE = "; accepted: 0.0 to 1.0"
DAYS = "; accepted: 0 to 32767"


def _thresholds() -> list:
    return list(SegmentThresholds.objects.values_list(*THRESHOLDS))


@pytest.mark.parametrize(
    ("name", "value", "refused"),
    [
        ("high_value_share", "1e308", "must be at most 1.0" + SHARE),
        ("churn_p_alive", "inf", NOT_A_NUMBER + SHARE),
        ("at_risk_p_alive", "nan", NOT_A_NUMBER + SHARE),
        ("at_risk_spend_drop", "٠.٥", NOT_A_NUMBER + SHARE),  # Python's float() reads it
        ("hysteresis_margin", "0_1", NOT_A_NUMBER + SHARE),  # so does it this
        ("hysteresis_margin", "-0.01", "must be at least 0.0" + SHARE),
        ("new_customer_days", "32768", "must be at most 32767" + DAYS),
        ("one_time_churn_days", "٣٦٥", "not a whole number" + DAYS),
        ("no_model_churn_days", "1e3", "not a whole number" + DAYS),
    ],
)
def test_the_thresholds_admin_refuses_what_the_columns_cannot_hold(
    admin_client, name, value, refused
):
    SegmentThresholds.objects.get_or_create(pk=1)
    before = _thresholds()

    response = admin_client.post(
        "/admin/customers/segmentthresholds/1/change/", {**THRESHOLDS, name: value}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {name: [refused]}
    assert _thresholds() == before


def test_the_thresholds_admin_saves_the_values_at_the_edges(admin_client):
    SegmentThresholds.objects.get_or_create(pk=1)
    edges = {
        **THRESHOLDS,
        "high_value_share": "1",
        "hysteresis_margin": "0",
        "new_customer_days": "32767",
    }

    response = admin_client.post("/admin/customers/segmentthresholds/1/change/", edges)

    assert response.status_code == 302
    assert _thresholds() == [(32767, 0.15, 365, 365, 0.5, 0.5, 1.0, 0.0)]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("inf"), "must be at most 1.0"),
        (1e308, "must be at most 1.0"),
        (-0.5, "must be at least 0.0"),
        pytest.param(float("nan"), NOT_A_NUMBER, marks=pytest.mark.postgres),  # SQLite: NULL
    ],
)
def test_a_threshold_edited_by_hand_gets_its_default_and_the_run_goes_on(value, reason, caplog):
    customers = _customers(10)
    run = _run()
    for i, customer in enumerate(customers):
        _score(customer, run, predicted=str(100 + i))
    SegmentThresholds.objects.update_or_create(pk=1, defaults={"high_value_share": value})

    with caplog.at_level(logging.ERROR, logger="customers.segments.classify"):
        segments_reassign(run_id=run.pk)

    high_value = Customer.objects.filter(segment_assignment__segment__code="high_value")
    assert set(high_value.values_list("external_id", flat=True)) == {"C-8", "C-9"}  # 20%
    assert SegmentReassignment.objects.get(run=run).thresholds["high_value_share"] == 0.2
    assert [r.getMessage() for r in caplog.records] == [
        f"segment threshold high_value_share = {value!r} is unusable ({reason}): "
        "the default 0.2 applies"
    ]


def test_the_customer_page_explains_with_usable_recorded_thresholds(admin_client):
    customers = _segmented(3)  # C-0 churned: P(alive) 0.1
    # A record edited by hand, holding a threshold retired since (spend_window_days).
    bad = {"churn_p_alive": "lots", "hysteresis_margin": 2.0, "spend_window_days": 90}
    SegmentReassignment.objects.update(thresholds=bad)

    response = admin_client.get(f"/customers/{customers[0].pk}/")

    assert response.status_code == 200
    assert "P(alive) 10% is below 15% (a churned customer leaves at 16.5% or more)." in (
        response.content.decode()
    )


# ---------------------------------------------------------------- query counts


def test_each_custom_segment_costs_a_savepoint_around_its_two_statements(
    django_assert_num_queries,
):
    customers = _customers(20)
    run = _run()
    for i, customer in enumerate(customers):
        _score(customer, run, p_alive=i / 20, predicted=str(10 * i))
    segments_reassign(run_id=run.pk)
    # A re-run of the run: a fixed number of statements, whatever the number of customers
    # (one more on PostgreSQL: work_mem and jit settings, but the median in one query).
    without_custom = per_backend(sqlite=26, postgresql=27)
    with django_assert_num_queries(without_custom):
        segments_reassign(run_id=run.pk)
    _with_bad_segment()
    Segment.objects.create(
        code="alive",
        name="Alive",
        kind=Segment.Kind.CUSTOM,
        rules=[{"field": "p_alive", "op": "gte", "value": "0.5"}],
    )

    # The custom segments' figures (DELETE, INSERT); each evaluated segment: SAVEPOINT,
    # DELETE, INSERT, RELEASE SAVEPOINT (two before the savepoints); the broken one (its
    # rules refused before any SQL): DELETE of its members, UPDATE of its broken state.
    with django_assert_num_queries(without_custom + 2 + 4 + 4 + 2):
        segments_reassign(run_id=run.pk)
    assert CustomSegmentMembership.objects.filter(segment__code="alive").count() == 10


# ---------------------------------------------------------------- PostgreSQL


def _assignments() -> set[tuple[int, str, str]]:
    return set(CustomerSegment.objects.values_list("customer_id", "segment__code", "reason"))


def _default_figures(run: ClvRun) -> dict[str, tuple]:
    figures = SegmentStatistic.objects.filter(run=run, segment__kind=Segment.Kind.DEFAULT)
    return {
        s.segment.code: (s.customers, s.total_predicted_clv, s.average_predicted_clv)
        for s in figures.select_related("segment")
    }


def _recalculate(capture) -> ClvRun:
    # The run queues the reassignment after its commit; tests run tasks eagerly.
    with capture(execute=True):
        call_command("recalculate_clv", "--as-of", "1998-06-30", stdout=StringIO())
    run = ClvRun.objects.order_by("-id").first()
    assert run is not None
    return run


@pytest.mark.postgres
def test_recalculate_clv_goes_on_past_a_rule_that_overflows_numeric(
    cdnow_sample, django_capture_on_commit_callbacks
):
    good = Segment.objects.create(
        code="good",
        name="Good",
        kind=Segment.Kind.CUSTOM,
        rules=[{"field": "predicted_clv", "op": "gte", "value": "50"}],
    )
    first = _recalculate(django_capture_on_commit_callbacks)
    without_bad = (_assignments(), _default_figures(first), _members(good))
    bad = Segment.objects.create(code="bad", name="Bad", kind=Segment.Kind.CUSTOM, rules=[])
    Segment.objects.filter(pk=bad.pk).update(rules=OVERFLOW)  # written past every check

    second = _recalculate(django_capture_on_commit_callbacks)

    assert second.pk != first.pk
    assert SegmentReassignment.objects.filter(run=second).exists()
    assert (_assignments(), _default_figures(second), _members(good)) == without_bad
    assert not SegmentTransition.objects.filter(run=second).exists()
    worth_50 = CustomerScore.objects.filter(predicted_clv__gte=50)
    assert _members(good) == set(worth_50.values_list("customer__external_id", flat=True))
    assert 0 < len(_members(good)) < Customer.objects.count()
    bad.refresh_from_db()
    assert (bad.is_broken, bad.broken_reason, _members(bad)) == (True, OVERFLOW_REFUSED, set())
    assert SegmentStatistic.objects.get(run=second, segment=bad).customers == 0


REFUSING = "segment_refused_by_test"


def _refuse_members_of(segment: Segment) -> None:
    """A real database error for this segment's INSERT only: a CHECK on the members."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {CustomSegmentMembership._meta.db_table} ADD CONSTRAINT {REFUSING} "
            f"CHECK (segment_id <> {int(segment.pk)}) NOT VALID"  # new rows only
        )


DATABASE_REFUSED = (
    'the database refused the rules: new row for relation "customers_customsegmentmembership" '
    f'violates check constraint "{REFUSING}"'
)


@pytest.mark.postgres
def test_a_database_error_rolls_back_only_that_segments_savepoint(caplog):
    customers = _segmented(6)  # predicted CLV 0, 10, ..., 50
    rich = custom_segment_save(
        segment=Segment(
            code="rich", name="Rich", rules=[{"field": "predicted_clv", "op": "gte", "value": "30"}]
        )
    )
    some = custom_segment_save(
        segment=Segment(
            code="some", name="Some", rules=[{"field": "predicted_clv", "op": "gte", "value": "10"}]
        )
    )
    _refuse_members_of(some)
    run = _run()
    for i, customer in enumerate(customers):
        _score(customer, run, predicted=str(10 * i), p_alive=0.1 if i == 0 else 0.9)

    with caplog.at_level(logging.ERROR, logger="customers.segments.custom"):
        outcome = segments_reassign(run_id=run.pk)

    some.refresh_from_db()
    assert (some.is_broken, some.broken_reason, _members(some)) == (True, DATABASE_REFUSED, set())
    assert _members(rich) == {"C-3", "C-4", "C-5"}
    assert outcome.customers == 6
    assert SegmentStatistic.objects.get(run=run, segment=rich).customers == 3
    assert [r.getMessage() for r in caplog.records] == [
        f"custom segment some (id {some.pk}) is broken and skipped: {DATABASE_REFUSED}"
    ]

    # Once the database takes its rows again, the next run evaluates it and it is mended.
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {CustomSegmentMembership._meta.db_table} DROP CONSTRAINT {REFUSING}"
        )
    nxt = _run()
    CustomerScore.objects.update(run=nxt)
    segments_reassign(run_id=nxt.pk)
    some.refresh_from_db()
    assert (some.is_broken, some.broken_reason) == (False, "")
    assert _members(some) == {"C-1", "C-2", "C-3", "C-4", "C-5"}


@pytest.mark.postgres
def test_the_staff_form_saves_a_segment_the_database_refuses_as_broken_not_a_500(marketing):
    _segmented(6)
    some = custom_segment_save(
        segment=Segment(
            code="some", name="Some", rules=[{"field": "p_alive", "op": "gt", "value": "0.5"}]
        )
    )
    _refuse_members_of(some)

    response = marketing.post(
        f"/customers/segments/{some.pk}/edit/", {**_form("10"), "name": "Some", "code": "some"}
    )

    assert response.status_code == 302
    page = marketing.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == [
        f"Saved the segment Some, but its rules could not be evaluated: {DATABASE_REFUSED}"
    ]
    some.refresh_from_db()
    assert some.rules == [{"field": "predicted_clv", "op": "gte", "value": "10"}]
    assert (some.is_broken, some.broken_reason, _members(some)) == (True, DATABASE_REFUSED, set())
