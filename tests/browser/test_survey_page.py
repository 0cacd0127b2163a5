"""The survey answer page in Chromium, on a phone's screen: the link's score is chosen, the
keyboard alone changes it and sends the answer, no Content-Security-Policy violation, and
the three languages render (screenshots in test-artifacts/ for people to look at)."""

import pytest

from customers.models import Customer
from feedback.models import Response
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.feedback.builders import one_invitation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    yield page
    context.close()


def test_the_keyboard_alone_answers_on_a_phone(live_server, phone):
    _, token = one_invitation()

    phone.goto(f"{live_server.url}/s/{token}/?score=7")
    assert phone.is_checked("#score-7")
    phone.focus("#score-7")
    phone.keyboard.press("ArrowRight")
    assert phone.is_checked("#score-8")
    phone.keyboard.press("Tab")
    phone.keyboard.type("Quick & <friendly>")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    phone.wait_for_selector("text=Thank you for your answer!")

    assert phone.evaluate("window.cspViolations") == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.locator("blockquote").inner_text() == "Quick & <friendly>"
    response = Response.objects.get()
    assert (response.score, response.comment) == (8, "Quick & <friendly>")


@pytest.mark.parametrize("language", ["en", "zh-hans", "ru"])
def test_the_page_in_each_language(live_server, phone, language):
    invitation, token = one_invitation()
    Customer.objects.filter(pk=invitation.customer_id).update(language=language)

    phone.goto(f"{live_server.url}/s/{token}/?score=9")

    assert phone.get_attribute("html", "lang") == language
    assert phone.evaluate("window.cspViolations") == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / f"survey-answer-{language}.png"), full_page=True)
