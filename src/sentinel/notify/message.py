"""What a page says: title, severity, service, a summary of the group, action links. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @staticmethod
    def from_json(data: dict[str, Any]) -> Page:
        return Page(**data)

    def subject(self) -> str:
        return f"[{self.severity.upper()}] {self.title}" + (
            f" ({self.service})" if self.service else ""
        )

    def text(self) -> str:
        lines = [
            self.subject(),
            self.summary,
            f"Acknowledge: {self.acknowledge_url}",
            f"Resolve: {self.resolve_url}",
        ]
        return "\n".join(line for line in lines if line)

    def sms(self) -> str:
        code = self.reply_code
        return (
            f"{self.subject()}: {self.alert_count} alert(s). "
            f"Reply '{code} ack' to acknowledge, '{code} res' to resolve."
        )

    def slack(self) -> dict[str, Any]:
        return {
            "text": self.subject(),
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"*{self.subject()}*\n{self.summary}"},
                },
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Acknowledge"},
                            "url": self.acknowledge_url,
                        },
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Resolve"},
                            "url": self.resolve_url,
                        },
                    ],
                },
            ],
        }


def summarize(alert_names: list[str], count: int) -> str:
    """`3 alerts: HighLatency, ErrorRate, DiskFull` (at most five names)."""
    names = ", ".join(alert_names[:5]) + (", …" if len(alert_names) > 5 else "")
    return f"{count} alert(s): {names}" if names else f"{count} alert(s)"
