"""The rule source over the SLO domain (its public burn function only): the burn rate of
one SLO over the rule's window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.slo import evaluate as slo

DEFAULT_WINDOW_S = 3600


async def slo_burn_rate(
    session: AsyncSession, params: dict[str, Any], now: datetime
) -> float | None:
    """Burn rate of SLO `slo_id` over `window_s` (default 1h): 1.0 spends the budget
    exactly over the SLO window, 14.4 is the Workbook's 1h page threshold for 30 days.
    No events in the window (or the SLO is gone) is "no data"."""
    window = timedelta(seconds=float(params.get("window_s", DEFAULT_WINDOW_S)))
    burn = await slo.burn_over(session, int(params["slo_id"]), window, now)
    return None if burn is None else burn.rate


async def check_slo_burn_rate(session: AsyncSession, params: dict[str, Any]) -> str | None:
    slo_id = params.get("slo_id")
    if isinstance(slo_id, bool) or not isinstance(slo_id, int):
        return "params.slo_id must be the id of an SLO (see GET /api/slo)"
    if await slo.slo_name(session, slo_id) is None:
        return f"no SLO with id {slo_id} (see GET /api/slo)"
    return None
