"""What a page says: title, severity, service, a summary of the group, action links; and
the one "resolved" notice sent when the group resolves. Rendered per channel. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

PAGE, RESOLVED = "page", "resolved"
ACK_ACTION, RESOLVE_ACTION = "sentinel_acknowledge", "sentinel_resolve"
_BUTTON = (
    "display:inline-block;padding:10px 18px;margin:0 8px 8px 0;border-radius:4px;"
    "color:#ffffff;text-decoration:none;font-weight:bold;background:{bg}"
)


@dataclass(frozen=True)
class Page:
    group_id: int
    title: str
    severity: str
    service: str
    summary: str
    alert_count: int
    acknowledge_url: str
    resolve_url: str
    reply_code: str = ""
    event: str = PAGE  # "page", or "resolved" for the notice that the group resolved

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @staticmethod
    def from_json(data: dict[str, Any]) -> Page:
        return Page(**data)

    @property
    def resolved(self) -> bool:
        return self.event == RESOLVED

    def subject(self) -> str:
        label = "RESOLVED" if self.resolved else self.severity.upper()
        return f"[{label}] {self.title}" + (f" ({self.service})" if self.service else "")

    def token(self, action: str) -> str:
        """The signed token at the end of the acknowledge or resolve link."""
        url = self.acknowledge_url if action == "acknowledge" else self.resolve_url
        return url.rsplit("/", 1)[-1]

    def text(self) -> str:
        lines = [self.subject(), self.summary]
        if not self.resolved:
            lines += [f"Acknowledge: {self.acknowledge_url}", f"Resolve: {self.resolve_url}"]
        return "\n".join(line for line in lines if line)

    def html(self) -> str:
        """The email's HTML part: the same text, with the links as buttons."""
        buttons = ""
        if not self.resolved:
            buttons = (
                "<p>"
                + "".join(
                    f'<a href="{escape(url)}" style="{_BUTTON.format(bg=bg)}">{label}</a>'
                    for label, url, bg in (
                        ("Acknowledge", self.acknowledge_url, "#1f6feb"),
                        ("Resolve", self.resolve_url, "#2da44e"),
                    )
                )
                + "</p>"
            )
        return (
            '<!doctype html><html><body style="font-family:sans-serif">'
            f"<h2>{escape(self.subject())}</h2><p>{escape(self.summary)}</p>{buttons}"
            f'<p style="color:#57606a;font-size:12px">Alert group {self.group_id}</p>'
            "</body></html>"
        )

    def sms(self) -> str:
        if self.resolved:
            return f"{self.subject()}: {self.summary}"
        code = self.reply_code
        return (
            f"{self.subject()}: {self.alert_count} alert(s). "
            f"Reply '{code} ack' to acknowledge, '{code} res' to resolve."
        )

    def voice(self) -> str:
        """What the call says before asking for a key."""
        return f"{self.subject()}. {self.summary}."

    def slack(self, interactive: bool = False) -> dict[str, Any]:
        """Block Kit message. Interactive buttons (bot token with a signing secret) post to
        the interactivity endpoint; otherwise they are links to the confirmation page."""
        section = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{self.subject()}*\n{self.summary}"},
        }
        if self.resolved:
            return {"text": self.subject(), "blocks": [section]}
        buttons: list[dict[str, Any]] = []
        for label, action, style in (
            ("Acknowledge", "acknowledge", "primary"),
            ("Resolve", "resolve", "danger"),
        ):
            button: dict[str, Any] = {
                "type": "button",
                "text": {"type": "plain_text", "text": label},
            }
            if interactive:
                button["action_id"] = ACK_ACTION if action == "acknowledge" else RESOLVE_ACTION
                button["value"] = self.token(action)
                button["style"] = style
            else:
                button["url"] = (
                    self.acknowledge_url if action == "acknowledge" else self.resolve_url
                )
            buttons.append(button)
        actions = {"type": "actions", "block_id": f"sentinel_group_{self.group_id}"}
        return {"text": self.subject(), "blocks": [section, {**actions, "elements": buttons}]}


def summarize(alert_names: list[str], count: int) -> str:
    """`3 alerts: HighLatency, ErrorRate, DiskFull` (at most five names)."""
    names = ", ".join(alert_names[:5]) + (", …" if len(alert_names) > 5 else "")
    return f"{count} alert(s): {names}" if names else f"{count} alert(s)"
