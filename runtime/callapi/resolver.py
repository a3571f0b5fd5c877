"""The resolver that applies a bot's host policy to the addresses a connection will use."""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver
from aiohttp.abc import ResolveResult

from flowbot.runtime.callapi.policy import HostPolicy
from flowbot.runtime.callapi.policy import parse_address


class HostBlockedError(OSError):
    """Raised by :class:`PolicyResolver` when no resolved address may be connected to."""


class PolicyResolver(AbstractResolver):
    """Resolves with ``inner`` and keeps only the addresses the policy permits for that host.

    aiohttp connects to exactly what this returns (and caches only that), so the address that
    is checked is the address that is connected to.
    """

    def __init__(self, policy: HostPolicy, inner: AbstractResolver) -> None:
        self._policy = policy
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        permitted = []
        for result in results:
            address = parse_address(result["host"])
            if address is not None and self._policy.permits(host, address):
                permitted.append(result)
        if not permitted:
            found = ", ".join(r["host"] for r in results) or "no address"
            raise HostBlockedError(f"{host} resolves to {found}: not a public address or denied by callApi")
        return permitted

    async def close(self) -> None:
        await self._inner.close()
