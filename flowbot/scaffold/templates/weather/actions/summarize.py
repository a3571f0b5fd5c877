"""Turn the wttr.in report stored by the `call` of main.flow (``temp.weather``) into ``temp.summary``."""

from __future__ import annotations

from typing import Any


async def run(temp: dict[str, Any]) -> None:
    body = (temp.get("weather") or {}).get("body")
    current = body.get("current_condition", [{}])[0] if isinstance(body, dict) else {}
    degrees = current.get("temp_C")
    description = ((current.get("weatherDesc") or [{}])[0].get("value") or "").strip().lower()
    if degrees is None:
        temp["summary"] = "no report available"
    else:
        temp["summary"] = f"{description}, {degrees}°C" if description else f"{degrees}°C"
