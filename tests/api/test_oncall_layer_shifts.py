"""GET /api/oncall/schedules/{id}/shifts with each layer's own shifts next to the final
ones (the web UI draws a lane per layer), on both databases."""

from __future__ import annotations

import httpx

from tests.api.test_oncall_api import make_user

H = dict[str, str]
DAY = {"start": "2026-04-06T00:00:00Z", "end": "2026-04-08T00:00:00Z"}  # Mon, Tue


async def test_layers_next_to_final_shifts_overrides_and_gaps(
    client: httpx.AsyncClient, admin_headers: H
) -> None:
    alice = await make_user(client, admin_headers, "Alice")
    bob = await make_user(client, admin_headers, "Bob")
    carol = await make_user(client, admin_headers, "Carol")
    body = {
        "name": "layered",
        "time_zone": "UTC",
        "layers": [
            {
                "name": "nights",
                "rotation": "daily",
                "participants": [alice, bob],
                "start": "2026-04-06T00:00:00",
                "restrictions": [{"weekdays": [1, 2, 3, 4, 5], "start": "18:00", "end": "22:00"}],
            },
            {
                "name": "business hours",
                "priority": 10,
                "rotation": "daily",
                "participants": [carol],
                "start": "2026-04-06T00:00:00",
                "restrictions": [{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "19:00"}],
            },
        ],
    }
    r = await client.post("/api/oncall/schedules", headers=admin_headers, json=body)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    r = await client.post(
        f"/api/oncall/schedules/{sid}/overrides",
        headers=admin_headers,
        json={"user_id": bob, "start": "2026-04-06T12:00:00Z", "end": "2026-04-06T13:00:00Z"},
    )
    assert r.status_code == 201, r.text

    r = await client.get(f"/api/oncall/schedules/{sid}/shifts", headers=admin_headers, params=DAY)
    assert r.status_code == 200, r.text
    out = r.json()

    def spans(shifts: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return [(s["user_id"], s["start"][11:16], s["end"][8:16], s["layer"]) for s in shifts]

    assert [(x["index"], x["name"], x["priority"]) for x in out["layers"]] == [
        (0, "nights", 0),
        (1, "business hours", 10),
    ]
    # Each layer's own rotation, restrictions applied, before anything is merged.
    assert spans(out["layers"][0]["shifts"]) == [
        (alice, "18:00", "06T22:00", 0),
        (bob, "18:00", "07T22:00", 0),
    ]
    assert spans(out["layers"][1]["shifts"]) == [
        (carol, "09:00", "06T19:00", 1),
        (carol, "09:00", "07T19:00", 1),
    ]
    # Final: business hours win until 19:00, the override (layer null) wins over both.
    assert spans(out["shifts"])[:4] == [
        (carol, "09:00", "06T12:00", 1),
        (bob, "12:00", "06T13:00", None),
        (carol, "13:00", "06T19:00", 1),
        (alice, "19:00", "06T22:00", 0),
    ]
    assert [(g["start"][8:16], g["end"][8:16]) for g in out["gaps"]][:2] == [
        ("06T00:00", "06T09:00"),
        ("06T22:00", "07T09:00"),
    ]
