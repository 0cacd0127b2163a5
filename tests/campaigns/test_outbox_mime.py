"""CampaignEmail: the same bytes as Django's email with the standard library's folding."""

import email
from email.policy import compat32

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.outbox import mime
from campaigns.outbox.mime import SHORT_HEADER_LINES, CampaignEmail, needs_no_folding

NAMES = st.sampled_from(["Subject", "From", "To", "Message-ID", "List-Unsubscribe", "X"])
ASCII = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=90)
HTML = '<html><body><p>Hallo <a href="https://shop.example/x">Laden</a></p></body></html>'


@settings(max_examples=3000, deadline=None)
@given(NAMES, ASCII, st.sampled_from(["\n", "\r\n"]))
def test_every_header_is_written_as_compat32_folds_it(name, value, linesep):
    ours = SHORT_HEADER_LINES.clone(linesep=linesep)
    theirs = compat32.clone(linesep=linesep)
    for method in ("fold", "fold_binary"):
        assert outcome(getattr(ours, method), name, value) == outcome(
            getattr(theirs, method), name, value
        )


def outcome(fold, name, value):
    """What ``fold`` gives, or the type of what it raises (the library refuses some values:
    a line break followed by a header, for one)."""
    try:
        return fold(name, value)
    except Exception as error:  # compared, not swallowed
        return type(error)


@pytest.mark.parametrize(
    ("value", "short"),
    [
        ("Back soon?", True),
        ("<https://crm.shop.example/m/u/abc.def/>", True),
        (" leading", False),
        ("two  spaces", False),
        ("tab\there", False),
        ("new\nline", False),
        ("Grüße", False),
        ("x" * 69, True),  # "Subject: " + 69 = 78 characters, the limit
        ("x" * 70, False),
    ],
)
def test_the_shortcut_is_taken_only_for_a_line_that_needs_no_folding(value, short):
    assert needs_no_folding("Subject", value, 78) is short


def campaign_email(subject: str = "Wir vermissen Sie, Zoë 再见") -> CampaignEmail:
    message = CampaignEmail(
        subject=subject,
        body="Hallo Zoë,\nhttps://shop.example/x\n",
        from_email="Kaffee & Tee <news@shop.example>",
        to=["zoe@example.com"],
        reply_to=["help@shop.example"],
        headers={
            "Message-ID": "<1.2@crm.shop.example>",
            "List-Unsubscribe": "<https://crm.shop.example/m/u/" + "a" * 60 + "/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(HTML, "text/html")
    return message


@pytest.mark.parametrize("subject", ["Back soon?", "Wir vermissen Sie, Zoë 再见", "s " * 60])
def test_the_bytes_equal_those_of_the_standard_librarys_folding(subject):
    made = campaign_email(subject).message()
    ours = made.as_bytes(linesep="\r\n")
    made.policy = compat32  # the same message, boundary and all, folded as Django would
    assert ours == made.as_bytes(linesep="\r\n")


def test_the_email_reads_back_whole_with_its_own_boundary():
    raw = campaign_email().message().as_bytes(linesep="\r\n")
    parsed = email.message_from_bytes(raw)
    assert str(parsed.get_boundary()).startswith("==clvcrm-")
    parts = list(parsed.walk())
    assert [part.get_content_type() for part in parts] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    text, html = (bytes(part.get_payload(decode=True)).decode() for part in parts[1:])
    assert text == "Hallo Zoë,\r\nhttps://shop.example/x\r\n"  # as sent: CRLF
    assert html == HTML
    assert str(email.header.make_header(email.header.decode_header(parsed["Subject"]))) == (
        "Wir vermissen Sie, Zoë 再见"
    )


def test_a_boundary_found_in_a_body_is_drawn_again(monkeypatch):
    draws = iter(["Laden", "==clvcrm-second=="])
    monkeypatch.setattr(mime, "_boundary_new", lambda: next(draws))
    assert campaign_email().message().get_boundary() == "==clvcrm-second=="
