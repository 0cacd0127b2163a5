"""The tasks inbox, a task's page and the customer page's notes and tasks, by role."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from customers.models import Customer, CustomerNote, CustomerTask
from tests.customers.interaction_builders import customers_valued, task_made

pytestmark = pytest.mark.django_db


def _client(make_staff, role: str, username: str | None = None) -> Client:
    client = Client()
    client.force_login(make_staff(role, username))
    return client


def _titles(page) -> list[str]:
    return [task.title for task in page.context["page"].objects]


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def inbox(make_staff, today):
    """Support's sam and sue, three customers by value, tasks in every state."""
    sam, sue = make_staff("Support", "sam"), make_staff("Support", "sue")
    low, middle, top = customers_valued(["10", "50", "100"])
    day = timedelta(days=1)
    task_made(low, "due in a week", today + 7 * day)
    task_made(
        top,
        "overdue two days",
        today - 2 * day,
        assignee=sam,
        source="nps_detractor",
        source_key="nps-response:1",
    )
    task_made(middle, "due today", today, assignee=sue, status="in_progress")
    task_made(low, "overdue a day", today - day)
    task_made(top, "due tomorrow", today + day, source="nps_detractor", source_key="nps-response:2")
    task_made(middle, "done yesterday", today - day, status="done", assignee=sam)
    task_made(low, "cancelled", today + day, status="cancelled")
    return {"sam": sam, "sue": sue, "low": low, "middle": middle, "top": top}


def test_the_inbox_shows_what_is_still_to_do_overdue_first(inbox):
    client = Client()
    client.force_login(inbox["sam"])

    page = client.get("/customers/tasks/")

    assert page.status_code == 200
    assert _titles(page) == [
        "overdue two days",
        "overdue a day",
        "due today",
        "due tomorrow",
        "due in a week",
    ]
    html = page.content.decode()
    assert html.count('class="overdue"') == 2
    assert "1 of yours overdue" in html
    assert html.count(">Take it</button>") == 3  # the unassigned ones
    assert "100.00" in html  # the customers' predicted CLV


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("assignee=me", ["overdue two days"]),
        ("assignee=unassigned", ["overdue a day", "due tomorrow", "due in a week"]),
        ("status=done", ["done yesterday"]),
        (
            "status=all",
            [
                "overdue two days",
                "overdue a day",
                "done yesterday",
                "due today",
                "due tomorrow",
                "cancelled",
                "due in a week",
            ],
        ),
        ("due=overdue", ["overdue two days", "overdue a day"]),
        ("due=today", ["due today"]),
        ("source=nps_detractor", ["overdue two days", "due tomorrow"]),
        ("value=20", ["overdue two days", "due tomorrow"]),  # the top customer only
        ("value=50", ["overdue two days", "due today", "due tomorrow"]),
        ("min_clv=50", ["overdue two days", "due today", "due tomorrow"]),
        ("min_clv=50.01&assignee=me", ["overdue two days"]),
        ("status=in_progress&due=any", ["due today"]),
    ],
)
def test_the_inbox_filters(inbox, query, titles):
    client = Client()
    client.force_login(inbox["sam"])

    assert _titles(client.get(f"/customers/tasks/?{query}")) == titles


def test_the_inbox_filters_by_a_given_assignee_and_this_week(inbox, today):
    client = Client()
    client.force_login(inbox["sam"])
    end_of_week = today + timedelta(days=6 - today.weekday())
    expected = ["due today"] + (
        ["due tomorrow"] if today + timedelta(days=1) <= end_of_week else []
    )

    assert _titles(client.get(f"/customers/tasks/?assignee={inbox['sue'].pk}")) == ["due today"]
    assert _titles(client.get("/customers/tasks/?due=week")) == expected


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("min_clv=abc", "Predicted CLV at least: not a number"),
        ("min_clv=1e999", "Predicted CLV at least: larger than 999999999999.99"),
        ("value=33", "Value: Select a valid choice. 33 is not one of the available choices."),
        ("assignee=999999", "Assignee: Select a valid choice."),
        ("status=waiting", "Status: Select a valid choice."),
        ("due=soon", "Due: Select a valid choice."),
    ],
)
def test_a_bad_filter_is_named_and_the_default_list_shown(inbox, query, error):
    client = Client()
    client.force_login(inbox["sam"])

    page = client.get(f"/customers/tasks/?{query}")

    assert page.status_code == 200
    assert error in page.content.decode()
    assert len(_titles(page)) == 5


@pytest.mark.parametrize("size", [3, 60])
def test_the_inbox_costs_the_same_queries_at_any_size(
    make_staff, django_assert_num_queries, size, today
):
    sam = make_staff("Support", "sam")
    customers = customers_valued([str(10 * (i + 1)) for i in range(3)])
    for i in range(size):
        task_made(customers[i % 3], f"task {i:02}", today + timedelta(days=i - 1), assignee=sam)
    client = Client()
    client.force_login(sam)
    client.get("/customers/tasks/?value=50")  # stores the band's cut-off once after the run

    # Session, user, permissions (2); the assignee choices; the page's rows (tasks with
    # customers, assignees and scores) and its capped count; my overdue tasks.
    with django_assert_num_queries(8):
        first = client.get("/customers/tasks/")
    # The same and the value band's stored cut-off.
    with django_assert_num_queries(9):
        banded = client.get("/customers/tasks/?value=50")

    assert _titles(first) == [f"task {i:02}" for i in range(min(size, 50))]
    assert len(_titles(banded)) == min(size * 2 // 3 + (1 if size % 3 == 2 else 0), 50)
    if size > 50:
        cursor = first.context["page"].next_cursor
        rest = client.get(f"/customers/tasks/?after={cursor}")
        assert _titles(rest) == [f"task {i:02}" for i in range(50, size)]


def test_support_takes_and_closes_from_the_inbox(inbox):
    client = Client()
    client.force_login(inbox["sue"])
    task = CustomerTask.objects.get(title="overdue a day")
    back = "/customers/tasks/?due=overdue"

    taken = client.post(f"/customers/tasks/{task.pk}/take/", {"next": back})
    again = client.post(f"/customers/tasks/{task.pk}/take/", {"next": back}, follow=True)
    closed = client.post(f"/customers/tasks/{task.pk}/status/", {"status": "done", "next": back})

    assert (taken.status_code, taken["Location"]) == (302, back)
    assert "Not taken: sue has it already, or it is closed." in again.content.decode()
    assert closed["Location"] == back
    task.refresh_from_db()
    assert (task.assignee, task.status) == (inbox["sue"], "done")
    assert task.closed_at is not None


def test_an_outside_next_address_is_not_followed(inbox):
    client = Client()
    client.force_login(inbox["sue"])
    task = CustomerTask.objects.get(title="overdue a day")

    taken = client.post(f"/customers/tasks/{task.pk}/take/", {"next": "https://evil.example/"})

    assert taken["Location"] == f"/customers/tasks/{task.pk}/"


def test_the_task_page_changes_the_task_and_keeps_its_notes(inbox, today):
    client = Client()
    client.force_login(inbox["sam"])
    task = CustomerTask.objects.get(title="due in a week")
    later = today + timedelta(days=10)

    updated = client.post(
        f"/customers/tasks/{task.pk}/update/",
        {"status": "in_progress", "assignee": str(inbox["sue"].pk), "due_on": later.isoformat()},
    )
    noted = client.post(f"/customers/tasks/{task.pk}/notes/", {"body": "<b>Called</b> twice"})
    page = client.get(f"/customers/tasks/{task.pk}/")

    assert (updated.status_code, noted.status_code) == (302, 302)
    task.refresh_from_db()
    assert (task.status, task.assignee, task.due_on) == ("in_progress", inbox["sue"], later)
    note = CustomerNote.objects.get()
    assert (note.task_id, note.customer_id, note.author) == (
        task.pk,
        task.customer_id,
        inbox["sam"],
    )
    html = page.content.decode()
    assert "&lt;b&gt;Called&lt;/b&gt; twice" in html
    assert "<b>Called</b>" not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"status": "open", "assignee": "", "due_on": "2026-02-30"},
            "Due: The due date is not a date",
        ),
        (
            {"status": "open", "assignee": "", "due_on": "0001-01-01"},
            "Due: The due date is outside",
        ),
        (
            {"status": "gone", "assignee": "", "due_on": "2026-07-01"},
            "Status: Select a valid choice.",
        ),
        (
            {"status": "open", "assignee": "abc", "due_on": "2026-07-01"},
            "Assignee: Select a valid choice.",
        ),
    ],
)
def test_a_bad_change_is_named_and_nothing_changes(inbox, data, message):
    client = Client()
    client.force_login(inbox["sam"])
    task = CustomerTask.objects.get(title="due in a week")

    page = client.post(f"/customers/tasks/{task.pk}/update/", data, follow=True)

    assert message in page.content.decode()
    before = (task.status, task.assignee_id, task.due_on)
    task.refresh_from_db()
    assert (task.status, task.assignee_id, task.due_on) == before


def test_assigning_to_someone_who_cannot_work_tasks_is_refused(inbox, make_staff):
    mia = make_staff("Marketing", "mia")
    client = Client()
    client.force_login(inbox["sam"])
    task = CustomerTask.objects.get(title="due in a week")

    page = client.post(
        f"/customers/tasks/{task.pk}/update/",
        {"status": "open", "assignee": str(mia.pk), "due_on": "2026-07-01"},
        follow=True,
    )

    assert "Assignee: Select a valid choice." in page.content.decode()
    task.refresh_from_db()
    assert task.assignee_id is None


def test_analysts_see_tasks_and_notes_but_change_nothing(inbox, make_staff):
    client = _client(make_staff, "Analyst")
    task = CustomerTask.objects.get(title="due in a week")
    customer = inbox["low"]
    CustomerNote.objects.create(customer=customer, body="Prefers email")

    inbox_page = client.get("/customers/tasks/")
    task_page = client.get(f"/customers/tasks/{task.pk}/")
    customer_page = client.get(f"/customers/{customer.pk}/")
    posts = [
        client.post(f"/customers/tasks/{task.pk}/take/"),
        client.post(f"/customers/tasks/{task.pk}/status/", {"status": "done"}),
        client.post(f"/customers/tasks/{task.pk}/update/", {"status": "done"}),
        client.post(f"/customers/tasks/{task.pk}/notes/", {"body": "x"}),
        client.post(f"/customers/{customer.pk}/notes/", {"body": "x"}),
        client.post(f"/customers/{customer.pk}/tasks/", {"title": "x", "due_on": "2026-07-01"}),
    ]

    assert (inbox_page.status_code, task_page.status_code, customer_page.status_code) == (200,) * 3
    assert [response.status_code for response in posts] == [403] * 6
    for page in (inbox_page, task_page, customer_page):
        assert '<form method="post" action="/customers/' not in page.content.decode()
    html = customer_page.content.decode()
    assert 'id="notes"' in html
    assert "Prefers email" in html
    assert 'id="tasks"' in html
    assert "due in a week" in html
    assert 'href="/customers/tasks/"' in html  # the menu's Tasks
    assert CustomerNote.objects.count() == 1
    assert CustomerTask.objects.get(pk=task.pk).status == "open"


def test_marketing_adds_notes_and_sees_tasks(inbox, make_staff):
    client = _client(make_staff, "Marketing")
    customer = inbox["low"]

    page = client.get(f"/customers/{customer.pk}/")
    note = client.post(f"/customers/{customer.pk}/notes/", {"body": "Asked for the catalogue"})
    task = client.post(f"/customers/{customer.pk}/tasks/", {"title": "x", "due_on": "2026-07-01"})
    inbox_page = client.get("/customers/tasks/")

    html = page.content.decode()
    assert 'id="note-form"' in html
    assert 'id="task-form"' not in html
    assert (note.status_code, task.status_code, inbox_page.status_code) == (302, 403, 200)
    assert ">Take it</button>" not in inbox_page.content.decode()
    assert CustomerNote.objects.get().body == "Asked for the catalogue"


def test_support_creates_a_task_on_the_customer_page(inbox, today):
    client = Client()
    client.force_login(inbox["sam"])
    customer = inbox["middle"]
    due = today + timedelta(days=2)

    created = client.post(
        f"/customers/{customer.pk}/tasks/",
        {
            "title": "Send a voucher",
            "description": "10% off",
            "due_on": due.isoformat(),
            "assignee": str(inbox["sue"].pk),
        },
        follow=True,
    )
    bad = client.post(
        f"/customers/{customer.pk}/tasks/", {"title": "", "due_on": "soon"}, follow=True
    )

    html = created.content.decode()
    assert f"Task “Send a voucher” created, due {due.isoformat()}." in html
    assert 'id="task-form"' in html
    assert 'id="note-form"' in html
    task = CustomerTask.objects.get(title="Send a voucher")
    assert (task.customer, task.description, task.due_on, task.assignee, task.created_by) == (
        customer,
        "10% off",
        due,
        inbox["sue"],
        inbox["sam"],
    )
    assert (task.source, task.status) == ("manual", "open")
    assert "Task not created. Title: This field is required. Due: The due date is not a date" in (
        bad.content.decode()
    )
    assert CustomerTask.objects.filter(customer=customer).count() == 3  # and two before


@pytest.mark.parametrize("size", [1, 15])
def test_the_customer_page_costs_the_same_queries_with_many_notes_and_tasks(
    make_staff, django_assert_num_queries, size, today
):
    sam = make_staff("Support", "sam")
    ann = Customer.objects.create(external_id="ANN")
    for i in range(size):
        task = task_made(ann, f"task {i}", today + timedelta(days=i), assignee=sam)
        CustomerNote.objects.create(customer=ann, task=task, author=sam, body=f"note {i}")
    client = Client()
    client.force_login(sam)

    # Session, user, permissions (2), the customer, order figures, recent orders (no lines
    # to fetch); the loyalty card's status, 12-month activity, next tier, ledger, history;
    # the notes (with authors and tasks), the open tasks (with assignees), the task form's
    # assignees; the consent history, the segment history, the campaign messages and the
    # holdouts, the NPS answers.
    with django_assert_num_queries(20):
        page = client.get(f"/customers/{ann.pk}/")

    html = page.content.decode()
    assert html.count('class="note gap-below"') == min(size, 10)
    assert html.count("/customers/tasks/") >= size
