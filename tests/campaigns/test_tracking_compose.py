"""email_finish: tracked links, the open pixel, the footer and the unsubscribe headers."""

import re

import pytest

from campaigns.content.render import RenderedEmail
from campaigns.tracking.compose import email_finish
from campaigns.tracking.tokens import (
    click_token,
    click_token_read,
    open_token_read,
    unsubscribe_token,
    unsubscribe_token_read,
)

SITE = "https://crm.shop.example"
HTML = (
    "<html><body><p>Hello <a class='cta' href='https://shop.example/sale?a=1&amp;b=2'>Sale</a>"
    ' <a href="mailto:help@shop.example">Write</a> <a href="#top">Top</a>\n'
    '<A HREF=" HTTP://blog.shop.example/post ">Blog</A>'
    ' <a href="https://shop.example/sale?a=1&amp;b=2">Again</a></p></body></html>'
)
TEXT = (
    "Hello, see https://shop.example/sale?a=1&b=2. The blog (https://blog.shop.example/new)"
    " and ftp://files.shop.example stay.\n"
)


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_URL = SITE
    settings.SHOP_NAME = "Example Coffee & Tea"
    settings.SHOP_POSTAL_ADDRESS = "Kastanienallee 1, 10435 Berlin, Germany"


def finish(language: str = "", html: str = HTML, text: str = TEXT):
    rendered = RenderedEmail(subject="Back soon?", text=text, html=html)
    return email_finish(message_id=42, customer_id=7, language=language, rendered=rendered)


def test_links_are_the_original_urls_each_once_in_order_of_first_appearance():
    assert finish().links == [
        "https://shop.example/sale?a=1&b=2",
        "HTTP://blog.shop.example/post",
        "https://blog.shop.example/new",
    ]


def test_every_http_link_of_both_bodies_points_to_its_click_token_on_site_url():
    finished = finish()
    html_hrefs = re.findall(r'href="([^"]+)"', finished.email.html)
    click = f"{SITE}/m/c/{click_token(message_id=42, position=0)}/"
    blog = f"{SITE}/m/c/{click_token(message_id=42, position=1)}/"
    unsubscribe = f"{SITE}/m/u/{unsubscribe_token(customer_id=7, message_id=42)}/"
    assert html_hrefs == [click, "mailto:help@shop.example", "#top", blog, click, unsubscribe]
    assert '<a class="cta" href=' in finished.email.html  # other attributes kept
    new = f"{SITE}/m/c/{click_token(message_id=42, position=2)}/"
    assert finished.email.text.startswith(
        f"Hello, see {click}. The blog ({new}) and ftp://files.shop.example stay.\n\n-- \n"
    )
    assert "shop.example/sale" not in finished.email.text.replace(SITE, "")


def test_click_tokens_name_the_message_and_position():
    finished = finish()
    tokens = re.findall(rf"{SITE}/m/c/([^/]+)/", finished.email.html + finished.email.text)
    assert {click_token_read(token) for token in tokens} == {(42, 0), (42, 1), (42, 2)}


def test_unsubscribe_headers_are_rfc_8058_on_site_url():
    headers = finish().headers
    token = unsubscribe_token(customer_id=7, message_id=42)
    assert headers == {
        "List-Unsubscribe": f"<{SITE}/m/u/{token}/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert unsubscribe_token_read(token) == (7, 42)


def test_html_gets_the_pixel_and_the_footer_before_the_end_of_the_body():
    html = finish().email.html
    pixel = re.search(rf'<img src="{SITE}/m/o/([^"]+)\.gif" width="1" height="1" alt=""', html)
    assert pixel is not None
    assert open_token_read(pixel.group(1)) == 42
    assert html.endswith('height:1px"></body></html>')
    footer = html[html.index("<div style=") :]
    assert "You receive this email because you are a customer of Example Coffee &amp; Tea." in (
        footer
    )
    assert ">Unsubscribe</a>" in footer
    assert "Example Coffee &amp; Tea, Kastanienallee 1, 10435 Berlin, Germany" in footer


def test_text_footer_has_a_visible_unsubscribe_link_and_the_postal_address():
    token = unsubscribe_token(customer_id=7, message_id=42)
    assert finish().email.text.endswith(
        "\n\n-- \n"
        "You receive this email because you are a customer of Example Coffee & Tea.\n"
        f"Unsubscribe: {SITE}/m/u/{token}/\n"
        "Example Coffee & Tea, Kastanienallee 1, 10435 Berlin, Germany\n"
    )


def test_a_fragment_without_body_gets_pixel_and_footer_at_the_end():
    html = finish(html='<p><a href="https://shop.example/">Shop</a></p>').email.html
    assert html.startswith(f'<p><a href="{SITE}/m/c/')
    assert html.endswith('height:1px">')
    assert "<div style=" in html


def test_no_html_body_stays_without_html():
    finished = finish(html="")
    assert finished.email.html == ""
    assert finished.email.subject == "Back soon?"
    assert finished.links == ["https://shop.example/sale?a=1&b=2", "https://blog.shop.example/new"]


@pytest.mark.parametrize(
    ("language", "notice", "unsubscribe"),
    [
        ("ru", "Вы получили это письмо, потому что вы клиент", "Отписаться: "),
        ("zh-hans", "您收到这封邮件，是因为您是 Example Coffee & Tea 的顾客。", "退订："),
        ("", "You receive this email because you are a customer of", "Unsubscribe: "),
    ],
)
def test_footer_in_the_customers_language(language, notice, unsubscribe):
    text = finish(language=language).email.text
    assert notice in text
    assert f"\n{unsubscribe}{SITE}/m/u/" in text


def test_footer_in_the_shops_language_when_the_customer_has_none(settings):
    settings.LANGUAGE_CODE = "ru"
    assert "\nОтписаться: " in finish(language="").email.text
