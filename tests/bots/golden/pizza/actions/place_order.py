"""Place a pizza order: price it and give it an order number, in ``temp.order``.

Called from order.flow as ``run place_order(size = ..., topping = ..., crust = ...)``. A real bot
would call the shop's API here; this one prices the order from a table.
"""

from __future__ import annotations

import hashlib
from typing import Any

PRICES = {"small": 8.0, "medium": 10.5, "large": 13.0}
TOPPING_EXTRA = {"margherita": 0.0, "pepperoni": 1.5, "veggie": 1.0}


async def run(args: dict[str, Any], temp: dict[str, Any], event: dict[str, Any]) -> None:
    size = str(args.get("size", "medium")).lower()
    topping = str(args.get("topping", "margherita")).lower()
    price = PRICES.get(size, PRICES["medium"]) + TOPPING_EXTRA.get(topping, 0.0)
    seed = f"{event.get('target', '')}:{size}:{topping}:{args.get('crust', '')}"
    number = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 100000
    temp["order"] = {"id": f"P-{number:05d}", "price": f"${price:.2f}"}
