"""The audit log: what a staff write records, what it never copies, that nothing edits it."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from campaigns.services.campaigns import campaign_pause
from clvcrm.core.audit import CHANGED, audit_diff, audit_record
from clvcrm.core.models import AuditEntry
from customers.loyalty.ledger import points_change
from customers.models import PointsEntry
from customers.services.customers import customer_update
from tests.campaigns.builders import campaign_made, customers_made
from tests.feedback.builders import survey_made

pytestmark = pytest.mark.django_db


def test_a_diff_keeps_changed_values_and_hides_personal_ones():
    before = {"email": "ann@example.com", "country": "DE", "total": Decimal("1.50"), "day": None}
    after = {
        "email": "ann@example.org",
        "country": "FR",
        "total": Decimal("1.50"),
        "day": date(2026, 1, 2),
    }

    changes = audit_diff(before, after, model_label="customers.customer")

    assert changes == {"country": ["DE", "FR"], "day": [None, "2026-01-02"], "email": CHANGED}


def test_a_profile_edit_through_the_api_is_recorded_once_without_the_personal_values(
    make_staff,
):
    (customer,) = customers_made(1, prefix="Ann", country="DE")  # ann0@example.com
    olga = make_staff("Support", username="olga")

    customer_update(customer=customer, actor=olga, email="ann.new@example.com", country="FR")

    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.actor_id, entry.action) == ("olga", olga.pk, "customer.update")
    assert (entry.target_type, entry.target_id) == ("customers.customer", str(customer.pk))
    assert entry.target_label == f"customer {customer.pk}"  # not their name
    assert entry.changes == {"country": ["DE", "FR"], "email": CHANGED}
    assert "ann" not in str(entry.changes) + entry.target_label


def test_a_points_adjustment_records_the_points_and_the_balance(make_staff):
    (customer,) = customers_made(1)
    olga = make_staff("Support", username="olga")

    points_change(
        customer=customer, kind=PointsEntry.Kind.ADJUST, points=50, reason="x", staff=olga
    )
    points_change(
        customer=customer, kind=PointsEntry.Kind.REDEEM, points=-20, reason="y", staff=olga
    )

    entries = list(AuditEntry.objects.order_by("id").values_list("action", "changes"))
    assert entries == [
        ("points.adjust", {"points": 50, "balance": [0, 50]}),
        ("points.redeem", {"points": -20, "balance": [50, 30]}),
    ]


def test_a_write_without_a_staff_actor_is_not_a_staff_write():
    (customer,) = customers_made(1)
    customer_update(customer=customer, country="FR")
    assert not AuditEntry.objects.exists()


def test_campaign_lifecycle_from_the_pages_is_recorded(client, make_staff):
    campaign = campaign_made(name="Win back")
    client.force_login(make_staff("Marketing", username="mia"))

    client.post(reverse("campaigns:pause", args=[campaign.pk]))
    client.post(reverse("campaigns:activate", args=[campaign.pk]))

    entries = list(AuditEntry.objects.order_by("id").values_list("actor_name", "action", "changes"))
    assert entries[0] == ("mia", "campaign.pause", {"status": ["active", "paused"]})
    assert entries[1][:2] == ("mia", "campaign.activate")
    assert entries[1][2]["status"] == ["paused", "active"]


def test_a_pause_that_changes_nothing_records_nothing(make_staff):
    campaign = campaign_made(name="Win back")
    mia = make_staff("Marketing", username="mia")
    campaign_pause(campaign_id=campaign.pk, actor=mia)
    campaign_pause(campaign_id=campaign.pk, actor=mia)  # already paused
    assert AuditEntry.objects.filter(action="campaign.pause").count() == 1


def test_an_entry_rolls_back_with_its_write(make_staff):
    mia = make_staff("Marketing", username="mia")

    def write_that_fails_after_its_entry() -> None:
        with transaction.atomic():
            audit_record(actor=mia, action="campaign.create")
            raise RuntimeError("the write failed after its entry")

    with pytest.raises(RuntimeError):
        write_that_fails_after_its_entry()
    assert not AuditEntry.objects.exists()


def test_admin_role_changes_are_recorded_with_the_groups_before_and_after(client, make_staff):
    admin = make_staff("Admin", username="ada")
    bob = make_staff("Analyst", username="bob")
    analyst, support = Group.objects.get(name="Analyst"), Group.objects.get(name="Support")
    client.force_login(admin)

    page = client.get(reverse("admin:auth_user_change", args=[bob.pk]))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("groups", "user_permissions", "last_login")
    }
    data.update(
        {
            "username": "bob",
            "groups": [support.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "is_active": "on",
            "is_staff": "on",
        }
    )
    data.pop("date_joined", None)
    data.pop("password", None)
    answer = client.post(reverse("admin:auth_user_change", args=[bob.pk]), data)
    assert answer.status_code == 302, answer.content.decode()[:2000]

    entry = AuditEntry.objects.get(action="auth.user.change")
    assert (entry.actor_name, entry.target_id) == ("ada", str(bob.pk))
    assert entry.changes["groups"] == [[analyst.pk], [support.pk]]
    assert "password" not in entry.changes or entry.changes["password"] == CHANGED


def test_only_admins_see_the_audit_page_and_its_search_checks_every_value(client, make_staff):
    admin = make_staff("Admin", username="ada")
    audit_record(actor=admin, action="campaign.activate", note="first")
    audit_record(actor=admin, action="segment.update", note="second")
    for role in ("Marketing", "Support", "Analyst"):
        client.force_login(make_staff(role))
        assert client.get(reverse("workspace:audit")).status_code == 403
    client.force_login(admin)

    everything = client.get(reverse("workspace:audit")).content.decode()
    campaigns_only = client.get(reverse("workspace:audit"), {"action": "campaign."})
    bad = client.get(reverse("workspace:audit"), {"since": "2026-13-01", "until": "x" * 11})

    assert everything.index("second") < everything.index("first")  # newest first
    assert "first" in campaigns_only.content.decode()
    assert "second" not in campaigns_only.content.decode()
    assert bad.status_code == 200
    assert "since:" in bad.content.decode()


@pytest.mark.postgres
def test_postgresql_refuses_to_change_or_delete_an_entry(make_staff):
    entry = audit_record(actor=make_staff("Admin"), action="campaign.create")
    for statement in ("UPDATE core_auditentry SET action = 'x'", "DELETE FROM core_auditentry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(statement)
    assert AuditEntry.objects.get().action == entry.action == "campaign.create"


def test_the_admin_shows_entries_and_changes_none(client, make_staff):
    admin = make_staff("Admin", username="ada")
    entry = audit_record(actor=admin, action="campaign.create")
    client.force_login(admin)
    change_url = reverse("admin:core_auditentry_change", args=[entry.pk])
    assert client.get(reverse("admin:core_auditentry_changelist")).status_code == 200
    assert client.post(change_url, {"action": "x"}).status_code == 403
    assert client.post(reverse("admin:core_auditentry_delete", args=[entry.pk])).status_code == 403
    assert AuditEntry.objects.get().action == "campaign.create"
    assert User.objects.filter(username="ada").exists()


def test_survey_writes_from_the_pages_are_recorded(client, make_staff):
    from feedback.models import Survey

    client.force_login(make_staff("Marketing", username="mia"))
    (customer,) = customers_made(1)
    survey = survey_made()  # made by no staff member: not recorded

    client.post(
        reverse("feedback:invite", args=[survey.pk]),
        {"customers": customer.external_id},
    )

    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action, entry.target_id) == (
        "mia",
        "survey.invite",
        str(survey.pk),
    )
    assert entry.changes == {"customers": 1, "invited": 1, "skipped": {}}
    assert Survey.objects.count() == 1


def test_notes_and_tasks_are_recorded_without_their_text(make_staff):
    from datetime import timedelta as days

    from django.utils import timezone as tz

    from customers.services.interactions import note_add, task_create, task_update

    (customer,) = customers_made(1)
    sam = make_staff("Support", username="sam")
    due = tz.localdate() + days(days=3)

    note = note_add(customer=customer, author=sam, body="Ann0 called about her refund")
    task = task_create(customer=customer, title="Call Ann0 back", due_on=due, created_by=sam)
    task_update(task_id=task.pk, status="done", actor=sam)

    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.action, e.target_label) for e in entries] == [
        ("note.add", f"customer note {note.pk}"),
        ("task.create", f"customer task {task.pk}"),
        ("task.update", f"customer task {task.pk}"),
    ]
    assert entries[0].changes == {"customer": customer.pk, "task": None, "length": 28}
    assert entries[1].changes == {
        "customer": customer.pk,
        "due_on": [None, due.isoformat()],
        "status": [None, "open"],
    }
    assert entries[2].changes == {"status": ["open", "done"]}
    assert "Ann0" not in str([(e.changes, e.target_label, e.note) for e in entries])
