"""Summarise the wttr.in answer stored by the Call API in ``temp.weather`` into ``temp.summary``.

Called from lookup.flow as ``run summarize_weather(unit = "C")``.
"""

from __future__ import annotations

from typing import Any


async def run(temp: dict[str, Any], args: dict[str, Any]) -> None:
    body = (temp.get("weather") or {}).get("body")
    current = body.get("current_condition", [{}])[0] if isinstance(body, dict) else {}
    unit = "F" if str(args.get("unit", "C")).upper() == "F" else "C"
    degrees = current.get(f"temp_{unit}")
    description = ((current.get("weatherDesc") or [{}])[0].get("value") or "").strip().lower()
    if degrees is None:
        temp["summary"] = "no report available"
    elif description:
        temp["summary"] = f"{description}, {degrees}°{unit}"
    else:
        temp["summary"] = f"{degrees}°{unit}"
