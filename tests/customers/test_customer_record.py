"""The customer page's own histories (segment moves, consent) and the profile edit page:
what each shows, who may edit, what is audited, and what is refused."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from clvcrm.core.models import AuditEntry
from clvcrm.workspace.privacy.erase import customer_erase
from customers.models import ClvRun, Customer, Segment, SegmentTransition
from customers.record.history import consent_history, segment_history
from customers.segments.defaults import segments_ensure_defaults
from customers.services.customers import customer_unsubscribe, customer_update

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 1, 31, 23, 0, tzinfo=UTC)


def _customer(**fields) -> Customer:
    values = {
        "external_id": "C-1",
        "email": "ann@example.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "acquired_on": date(2024, 6, 1),
        **fields,
    }
    return Customer.objects.create(**values)


def _moves(customer: Customer, codes: list[tuple[str | None, str, str]]) -> None:
    """One transition per (from, to, reason), a run a month apart from T0."""
    segments_ensure_defaults()
    by_code = {s.code: s for s in Segment.objects.all()}
    for month, (source, target, reason) in enumerate(codes):
        run = ClvRun.objects.create(
            as_of=date(2025, 1, 28) + timedelta(days=30 * month),
            status=ClvRun.Status.SUCCEEDED,
            finished_at=T0,
        )
        SegmentTransition.objects.create(
            customer=customer,
            from_segment=by_code[source] if source else None,
            to_segment=by_code[target],
            reason=reason,
            run=run,
            created_at=T0 + timedelta(days=30 * month),
        )


# ---------------------------------------------------------------- segment history


def test_segment_history_newest_first_with_reason_and_run(django_assert_num_queries):
    customer = _customer()
    _moves(
        customer,
        [
            (None, "new", "new"),
            ("new", "high_value", "high_value"),
            ("high_value", "at_risk", "at_risk_p_alive"),
        ],
    )
    _moves(_customer(external_id="C-2", email=""), [(None, "churned", "churned_one_time")])

    with django_assert_num_queries(1):
        rows = [
            (
                t.from_segment.code if t.from_segment else None,
                t.to_segment.code,
                t.reason,
                t.run.as_of,
            )
            for t in segment_history(customer.pk)
        ]

    assert rows == [
        ("high_value", "at_risk", "at_risk_p_alive", date(2025, 3, 29)),
        ("new", "high_value", "high_value", date(2025, 2, 27)),
        (None, "new", "new", date(2025, 1, 28)),
    ]


def test_segment_history_keeps_the_latest_twenty():
    customer = _customer()
    _moves(customer, [("new", "low_value", "low_value")] * 23)

    rows = segment_history(customer.pk)

    assert len(rows) == 20
    assert rows[0].created_at == T0 + timedelta(days=30 * 22)
    assert rows[-1].created_at == T0 + timedelta(days=30 * 3)


def test_the_page_shows_the_segment_history(make_staff, client):
    customer = _customer()
    _moves(customer, [(None, "new", "new"), ("new", "churned", "churned_one_time")])
    client.force_login(make_staff("Support"))

    page = client.get(f"/customers/{customer.pk}/").content.decode()

    card = page.split('id="segment-history"', 1)[1].split("</section>", 1)[0]
    assert card.index("New → <strong>Churned</strong>") < card.index("— → <strong>New</strong>")
    assert "Bought once, longer ago than the one-time limit · run as of 2025-02-27" in card


# ---------------------------------------------------------------- consent history


def _events(customer: Customer) -> list[tuple[str, str, str, str]]:
    customer.refresh_from_db()
    return [(e.at.isoformat(), e.kind, e.text, e.by) for e in consent_history(customer)]


def test_consent_history_from_acquisition_to_erasure(make_staff, django_assert_num_queries):
    support, admin = make_staff("Support", "sam"), make_staff("Admin", "ada")
    customer = _customer()
    given, withdrawn, unsubscribed = T0, T0 + timedelta(days=3), T0 + timedelta(days=9)
    with time_machine.travel(given, tick=False):
        customer_update(customer=customer, actor=support, marketing_consent=True)
    with time_machine.travel(withdrawn, tick=False):
        customer_update(customer=customer, actor=support, first_name="Anne")  # no consent
        customer_update(customer=customer, actor=support, marketing_consent=False)
    customer_update(customer=customer, marketing_consent=True)  # a client without a user
    with time_machine.travel(unsubscribed, tick=False):
        assert customer_unsubscribe(customer_id=customer.pk)

    customer.refresh_from_db()
    with django_assert_num_queries(1):
        consent_history(customer)
    assert _events(customer) == [
        (
            unsubscribed.isoformat(),
            "unsubscribed",
            "Unsubscribed from marketing email (the link in an email).",
            "",
        ),
        (
            withdrawn.isoformat(),
            "withdrawn",
            "Marketing consent withdrawn (the profile page or the API).",
            "sam",
        ),
        (
            given.isoformat(),
            "given",
            "Marketing consent given (the profile page or the API).",
            "sam",
        ),
        ("2024-06-01T00:00:00+00:00", "acquired", "Became a customer.", ""),
    ]

    erased = customer_erase(customer_id=customer.pk, actor=admin)
    assert _events(customer)[0] == (
        erased.erased_at.isoformat(),
        "erased",
        "Personal data erased (a privacy request): consent withdrawn, unsubscribed.",
        "",
    )
    assert len(_events(customer)) == 5


def test_an_erasure_without_an_earlier_unsubscribe_is_one_event(make_staff):
    customer = _customer()
    erased = customer_erase(customer_id=customer.pk, actor=make_staff("Admin"))

    assert [kind for _, kind, _, _ in _events(customer)] == ["erased", "acquired"]
    customer.refresh_from_db()
    assert customer.unsubscribed_at == erased.erased_at


def test_the_page_shows_the_consent_history(make_staff, client):
    customer = _customer()
    support = make_staff("Support", "sam")
    customer_update(customer=customer, actor=support, marketing_consent=True)
    client.force_login(make_staff("Analyst"))

    page = client.get(f"/customers/{customer.pk}/").content.decode()

    card = page.split('id="consent-history"', 1)[1].split("</section>", 1)[0]
    today = timezone.localdate().isoformat()
    assert (
        '<tr class="consent-given"><th>Marketing consent given (the profile page or the API).'
        f' <span class="muted">(sam)</span></th><td class="num">{today}</td></tr>'
    ) in card
    assert "Became a customer." in card


# ---------------------------------------------------------------- profile edit

PROFILE = {
    "email": "anne.lee@example.org",
    "first_name": "Anne",
    "last_name": "Lee",
    "phone": "+49 30 1234567",
    "country": "DE",
    "language": "ru",
    "birthday": "1990-04-02",
    "marketing_consent": "on",
}


def _support(make_staff, client: Client) -> User:
    user = make_staff("Support", "sam")
    client.force_login(user)
    return user


def test_support_edits_the_profile_and_the_audit_log_hides_personal_values(make_staff, client):
    customer = _customer(country="FR")
    _support(make_staff, client)

    form = client.get(f"/customers/{customer.pk}/edit/")
    saved = client.post(f"/customers/{customer.pk}/edit/", PROFILE)

    assert form.status_code == 200
    assert 'value="ann@example.com"' in form.content.decode()
    assert saved.status_code == 302
    assert saved["Location"] == f"/customers/{customer.pk}/"
    customer.refresh_from_db()
    assert (
        customer.email,
        customer.first_name,
        customer.last_name,
        customer.phone,
        str(customer.country),
        customer.language,
        customer.birthday,
        customer.marketing_consent,
    ) == (
        "anne.lee@example.org",
        "Anne",
        "Lee",
        "+49 30 1234567",
        "DE",
        "ru",
        date(1990, 4, 2),
        True,
    )
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action, entry.target_type, entry.target_id) == (
        "sam",
        "customer.update",
        "customers.customer",
        str(customer.pk),
    )
    assert entry.changes == {
        "birthday": "(changed)",
        "country": ["FR", "DE"],
        "email": "(changed)",
        "first_name": "(changed)",
        "language": ["", "ru"],
        "marketing_consent": [False, True],
        "phone": "(changed)",
    }
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert (
        "Profile saved: email, first name, phone, country, language, birthday, "
        "marketing consent." in page
    )


def test_saving_unchanged_writes_nothing(make_staff, client):
    customer = _customer()
    _support(make_staff, client)
    same = {"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"}

    response = client.post(f"/customers/{customer.pk}/edit/", same)

    assert response.status_code == 302
    assert AuditEntry.objects.count() == 0


def test_analyst_and_marketing_may_not_edit(make_staff, client):
    customer = _customer()
    for role in ("Analyst", "Marketing"):
        client.force_login(make_staff(role))
        assert client.get(f"/customers/{customer.pk}/edit/").status_code == 403
        assert client.post(f"/customers/{customer.pk}/edit/", PROFILE).status_code == 403
        page = client.get(f"/customers/{customer.pk}/").content.decode()
        assert 'id="profile-edit"' not in page

    customer.refresh_from_db()
    assert customer.email == "ann@example.com"
    assert AuditEntry.objects.count() == 0


def test_an_email_of_another_customer_is_an_error_on_the_field(make_staff, client):
    customer = _customer()
    _customer(external_id="C-2", email="Taken@Example.com")
    _support(make_staff, client)

    response = client.post(
        f"/customers/{customer.pk}/edit/", {**PROFILE, "email": "taken@example.COM"}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors == {"email": ["Another customer already has this email address."]}
    customer.refresh_from_db()
    assert (customer.email, customer.first_name, customer.marketing_consent) == (
        "ann@example.com",
        "Ann",
        False,
    )
    assert AuditEntry.objects.count() == 0
    assert "<h1>Edit profile</h1>" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-address", "Enter a valid email address."),
        ("country", "XX", "Select a valid choice. XX is not one of the available choices."),
        ("language", "de", "Select a valid choice. de is not one of the available choices."),
        (
            "birthday",
            "1800-01-01",
            "The birthday is outside the supported dates (1900-01-01 to 2999-12-31).",
        ),
        ("birthday", "yesterday", "Enter a valid date."),
        ("first_name", "A" * 151, "Ensure this value has at most 150 characters (it has 151)."),
        ("phone", "12\x0034", "Null characters are not allowed."),
    ],
)
def test_bad_values_are_refused_on_their_field(make_staff, client, field, value, message):
    customer = _customer()
    _support(make_staff, client)

    response = client.post(f"/customers/{customer.pk}/edit/", {**PROFILE, field: value})

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert AuditEntry.objects.count() == 0
    customer.refresh_from_db()
    assert customer.email == "ann@example.com"


def test_an_erased_customer_cannot_be_edited(make_staff, client):
    customer = _customer()
    customer_erase(customer_id=customer.pk, actor=make_staff("Admin"))
    _support(make_staff, client)
    entries = AuditEntry.objects.count()

    page = client.get(f"/customers/{customer.pk}/edit/")
    refused = client.post(f"/customers/{customer.pk}/edit/", PROFILE)

    assert page.status_code == 200
    assert "their profile cannot be edited" in page.content.decode()
    assert 'id="profile-form"' not in page.content.decode()
    assert refused.status_code == 409
    customer.refresh_from_db()
    assert (customer.email, customer.first_name, customer.marketing_consent) == ("", "", False)
    assert AuditEntry.objects.count() == entries
    detail = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="profile-edit"' not in detail


def test_an_unknown_customer_is_not_found(make_staff, client):
    _support(make_staff, client)
    assert client.get("/customers/999999/edit/").status_code == 404
