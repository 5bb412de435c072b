"""Notify pure parts: signed links, webhook/Twilio signatures, SMS reply codes, contact
address validation, message rendering."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinel.notify import slack, twiml
from sentinel.notify.actions import parse_reply
from sentinel.notify.links import (
    BadLink,
    sign,
    twilio_request_valid,
    twilio_signature,
    verify,
    webhook_signature,
)
from sentinel.notify.message import Page, summarize
from sentinel.oncall.contacts import check_address
from tests.notify_receivers import slack_sign, twilio_sign

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


@given(
    group=st.integers(1, 2**62),
    action=st.sampled_from(["acknowledge", "resolve"]),
    user=st.one_of(st.none(), st.integers(1, 2**31)),
)
def test_signed_link_round_trips(group: int, action: str, user: int | None) -> None:
    token = sign("secret", group, action, T0 + timedelta(hours=1), user)
    claim = verify("secret", token, T0)
    assert (claim.group_id, claim.action, claim.user_id) == (group, action, user)


def test_forged_expired_and_malformed_links_are_refused() -> None:
    token = sign("secret", 7, "acknowledge", T0 + timedelta(hours=1))
    with pytest.raises(BadLink, match="signature"):
        verify("other-secret", token, T0)
    with pytest.raises(BadLink, match="signature"):
        verify("secret", token.replace("7.acknowledge", "8.acknowledge", 1), T0)
    with pytest.raises(BadLink, match="signature"):
        verify("secret", token.replace("acknowledge", "resolve", 1), T0)
    with pytest.raises(BadLink, match="expired"):
        verify("secret", token, T0 + timedelta(hours=2))
    with pytest.raises(BadLink, match="malformed"):
        verify("secret", "nonsense", T0)


def test_webhook_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhook_signature("k", 1700000000, body) == f"sha256={expected}"


def test_twilio_signature_matches_twilios_documented_algorithm() -> None:
    # Twilio: HMAC-SHA1 over the full URL followed by each POST param name+value, sorted.
    url = "https://example.com/myapp"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234"}
    data = url + "CallSid" + "CA1234567890ABCDE" + "Caller" + "+12349013030" + "Digits" + "1234"
    digest = hmac.new(b"12345", data.encode(), hashlib.sha1).digest()
    assert twilio_signature("12345", url, params) == base64.b64encode(digest).decode()


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        ("42 ack", (42, "acknowledge")),
        ("  42 ACK please", (42, "acknowledge")),
        ("42 res", (42, "resolve")),
        ("42 resolve", (42, "resolve")),
        ("ack 42", None),
        ("42", None),
        ("", None),
    ],
)
def test_sms_reply_codes(body: str, parsed: tuple[int, str] | None) -> None:
    assert parse_reply(body) == parsed


@pytest.mark.parametrize(
    ("kind", "address", "ok"),
    [
        ("email", "oncall@example.com", True),
        ("email", "oncall@", False),
        ("sms", "+4915112345678", True),
        ("sms", "+0123", False),
        ("voice", "4915112345678", False),
        ("slack", "https://hooks.slack.com/services/T/B/x", True),
        ("slack", "C0123ABC", True),
        ("slack", "not a channel!", False),
        ("webhook", "https://example.com/x", True),
        ("webhook", "javascript:alert(1)", False),
        ("catchall", "http://apprise:8000/notify/key", True),
        ("pagerduty", "a" * 32, True),
        ("pagerduty", "short", False),
        ("pigeon", "x", False),
    ],
)
def test_contact_addresses(kind: str, address: str, ok: bool) -> None:
    assert (check_address(kind, address) is None) == ok


def test_page_renders_title_severity_service_summary_and_links() -> None:
    page = Page(
        3,
        "Checkout errors",
        "critical",
        "checkout",
        summarize(["A", "B", "C", "D", "E", "F"], 6),
        6,
        "https://s/ack",
        "https://s/res",
        "3",
    )
    assert page.subject() == "[CRITICAL] Checkout errors (checkout)"
    assert "6 alert(s): A, B, C, D, E, …" in page.text()
    assert "https://s/ack" in page.text() and "https://s/res" in page.text()
    assert "'3 ack'" in page.sms()
    assert Page.from_json(page.to_json()) == page
    buttons = page.slack()["blocks"][1]["elements"]
    assert [b["url"] for b in buttons] == ["https://s/ack", "https://s/res"]


def test_email_html_escapes_what_alerts_say_and_links_are_buttons() -> None:
    page = Page(
        9, "<script>x</script>", "high", "api", "1 alert(s): A&B", 1, "https://s/a?x=1&y=2", "r"
    )
    markup = page.html()
    assert "<script>" not in markup and "&lt;script&gt;x&lt;/script&gt;" in markup
    assert "1 alert(s): A&amp;B" in markup
    assert 'href="https://s/a?x=1&amp;y=2"' in markup and ">Acknowledge</a>" in markup


def test_resolved_notice_has_no_buttons_or_reply_codes() -> None:
    page = Page(
        4, "Disk full", "critical", "db", "Resolved by ana", 0, "https://s/a", "https://s/r"
    )
    notice = replace(page, event="resolved")
    assert notice.subject() == "[RESOLVED] Disk full (db)"
    assert "https://s/a" not in notice.text() and "href" not in notice.html()
    assert "ack" not in notice.sms()
    assert len(notice.slack()["blocks"]) == 1 and notice.slack()["text"].startswith("[RESOLVED]")
    assert Page.from_json(notice.to_json()) == notice
    old = {k: v for k, v in page.to_json().items() if k != "event"}  # queued before `event`
    assert Page.from_json(old).event == "page"


def test_interactive_slack_buttons_carry_the_signed_tokens() -> None:
    page = Page(
        5, "T", "info", "", "s", 1, "https://s/api/notify/actions/tok-a", "https://s/x/tok-r"
    )
    buttons = page.slack(interactive=True)["blocks"][1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("sentinel_acknowledge", "tok-a"),
        ("sentinel_resolve", "tok-r"),
    ]
    assert all("url" not in b for b in buttons)


# Twilio's published example (twilio-python's request-validator tests).
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_FORM = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]


def test_twilio_signatures_match_twilios_published_vectors() -> None:
    for sign_ in (twilio_sign, twilio_signature):
        assert sign_("12345", TWILIO_URL, TWILIO_FORM) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678")]
        repeated.append(("Digits", "1234"))
        assert sign_("12345", TWILIO_URL, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    assert twilio_request_valid("12345", TWILIO_URL, TWILIO_FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    # A proxy that shows the default port: Twilio signed the URL with or without it.
    with_port = TWILIO_URL.replace(".com", ".com:443")
    assert twilio_request_valid("12345", with_port, TWILIO_FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not twilio_request_valid(
        "12345", TWILIO_URL, TWILIO_FORM[1:], "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )
    assert not twilio_request_valid(
        "54321", TWILIO_URL, TWILIO_FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )


def test_keypad_tokens_only_work_at_the_keypad() -> None:
    token = sign("secret", 7, "respond", T0 + timedelta(hours=1))
    assert verify("secret", token, T0, allowed=("respond",)).group_id == 7
    with pytest.raises(BadLink, match="unknown here"):
        verify("secret", token, T0)  # not an acknowledge/resolve link
    link = sign("secret", 7, "acknowledge", T0 + timedelta(hours=1))
    with pytest.raises(BadLink, match="unknown here"):
        verify("secret", link, T0, allowed=("respond",))


def test_page_call_twiml_asks_for_one_key_and_escapes_what_it_reads() -> None:
    page = Page(8, "Disk <full> & slow", "high", "db", "2 alert(s): A, B", 2, "a", "r")
    document = twiml.call(page, "https://s/api/notify/twilio/voice/t?x=1&y=2")
    root = ElementTree.fromstring(document)  # noqa: S314 - our own output
    gathers = root.findall("Gather")
    assert len(gathers) == 2
    assert gathers[0].get("action") == "https://s/api/notify/twilio/voice/t?x=1&y=2"
    assert gathers[0].get("numDigits") == "1" and gathers[0].get("method") == "POST"
    said = gathers[0].findtext("Say") or ""
    assert said.startswith("[HIGH] Disk <full> & slow (db). 2 alert(s): A, B.")
    assert said.endswith("Press 1 to acknowledge, 2 to resolve.")


# Slack's published example ("Verifying requests from Slack").
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
    b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
    b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
    b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
    b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_slack_signatures_match_slacks_published_vector_within_the_replay_window() -> None:
    assert slack.signature(SLACK_SECRET, "1531420618", SLACK_BODY) == SLACK_SIGNATURE
    assert slack_sign(SLACK_SECRET, "1531420618", SLACK_BODY) == SLACK_SIGNATURE
    slack.verify(SLACK_SECRET, "1531420618", SLACK_SIGNATURE, SLACK_BODY, 1531420618 + 299)
    with pytest.raises(slack.BadSlackRequest, match="replay window"):
        slack.verify(SLACK_SECRET, "1531420618", SLACK_SIGNATURE, SLACK_BODY, 1531420618 + 301)
    with pytest.raises(slack.BadSlackRequest, match="does not match"):
        slack.verify(SLACK_SECRET, "1531420618", SLACK_SIGNATURE, SLACK_BODY + b"x", 1531420618)
    with pytest.raises(slack.BadSlackRequest, match="not a number"):
        slack.verify(SLACK_SECRET, "", SLACK_SIGNATURE, SLACK_BODY, 1531420618)


def test_a_pressed_page_says_who_acted_and_keeps_only_what_is_left_to_do() -> None:
    page = Page(5, "T", "info", "", "s", 1, "https://s/x/tok-a", "https://s/x/tok-r")
    message = page.slack(interactive=True)
    acked = slack.updated_message(message, "acknowledge", "U1")
    assert acked["replace_original"] is True and acked["text"] == "[INFO] T"
    kinds = [b["type"] for b in acked["blocks"]]
    assert kinds == ["section", "context", "actions"]
    assert acked["blocks"][1]["elements"][0]["text"] == ":eyes: Acknowledged by <@U1>"
    assert [e["action_id"] for e in acked["blocks"][2]["elements"]] == ["sentinel_resolve"]
    resolved = slack.updated_message(acked, "resolve", "U2")
    assert [b["type"] for b in resolved["blocks"]] == ["section", "context", "context"]
    late = slack.updated_message(message, "acknowledge", "U3", changed=False)
    assert late["blocks"][1]["elements"][0]["text"].startswith(":information_source: Already")
