"""TwiML documents: the page a call reads (asking for a key), and the answers to Twilio's
inbound webhooks (SMS replies, keypad presses). Pure."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from sentinel.notify.message import Page

PROMPT = "Press 1 to acknowledge, 2 to resolve."
KEYS = {"1": "acknowledge", "2": "resolve"}
_XML = "<?xml version='1.0' encoding='UTF-8'?>"


def _gather(text: str, action_url: str) -> str:
    return (
        f'<Gather input="dtmf" numDigits="1" timeout="10" method="POST" '
        f"action={quoteattr(action_url)}><Say>{escape(text)}</Say></Gather>"
    )


def call(page: Page, action_url: str) -> str:
    """What a page call says: the page, then one key (repeated once if nobody presses)."""
    first = _gather(f"{page.voice()} {PROMPT}", action_url)
    again = _gather(PROMPT, action_url)
    return f"<Response>{first}{again}<Say>No key was pressed. Goodbye.</Say></Response>"


def ask_again(action_url: str) -> str:
    """The answer to a key that means nothing: ask once more."""
    return f"{_XML}<Response>{_gather('Sorry. ' + PROMPT, action_url)}</Response>"


def say(text: str) -> str:
    """Say `text` and hang up."""
    return f"{_XML}<Response><Say>{escape(text)}</Say><Hangup/></Response>"


def message(text: str) -> str:
    """An SMS reply."""
    return f"{_XML}<Response><Message>{escape(text)}</Message></Response>"
