"""Transport failures as the string statuses a flow sees (``ECONNREFUSED``, ``TIMEOUT``...).

Botpress stores Node's error code (``error.code``) as the status of a failed call; flowbot keeps
the same names where there is one (the operating system's errno name, as Node reports it).
"""

from __future__ import annotations

import errno
import socket

import aiohttp

from flowbot.runtime.callapi.resolver import HostBlockedError


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        if isinstance(current, aiohttp.ClientOSError) and isinstance(
            getattr(current, "os_error", None), BaseException
        ):
            chain.append(current.os_error)
        current = current.__cause__ or current.__context__
    return chain


def network_status(exc: BaseException) -> str:
    """The status for an exception raised while sending a request or reading its response."""
    causes = _causes(exc)
    if any(isinstance(c, HostBlockedError) for c in causes):
        return "EBLOCKED"
    if any(isinstance(c, TimeoutError) for c in causes):
        return "TIMEOUT"
    if any(isinstance(c, (aiohttp.ClientConnectorDNSError, socket.gaierror)) for c in causes):
        return "ENOTFOUND"
    if any(isinstance(c, (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch)) for c in causes):
        return "ESSL"
    if any(isinstance(c, aiohttp.InvalidURL) for c in causes):
        return "EINVALIDURL"
    if any(isinstance(c, aiohttp.ServerDisconnectedError) for c in causes):
        return "ECONNRESET"  # what Node calls "socket hang up"
    for cause in causes:
        code = getattr(cause, "errno", None)
        if isinstance(cause, OSError) and isinstance(code, int) and code in errno.errorcode:
            return errno.errorcode[code]
    return "ENETWORK"


def describe(exc: BaseException) -> str:
    """A reason for the log: the policy's own words when it refused, else the exception's."""
    for cause in _causes(exc):
        if isinstance(cause, HostBlockedError):
            return str(cause)
    return str(exc) or type(exc).__name__
