"""Deterministic ids: derived from names (flow, node, position), never random, so that the same
source gives byte-identical output and a small edit changes few ids.

Ids are short hashes; a collision (two names hashing to the same id) is resolved by rehashing
with a counter, in source order, so the result stays deterministic.
"""

from __future__ import annotations

import base64
import hashlib

HEX = "hex"  # 0-9a-f
DIGITS = "digits"  # 0-9
LOWER_ALNUM = "base32"  # a-z2-7: within [a-z0-9], as a Botpress randomId
URL_SAFE = "base64"  # A-Za-z0-9_- like the ids the Botpress studio generates


def _encode(parts: tuple[str, ...], length: int, alphabet: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    if alphabet == HEX:
        return digest.hex()[:length]
    if alphabet == DIGITS:
        return str(int.from_bytes(digest[:8], "big") % 10**length).zfill(length)
    if alphabet == LOWER_ALNUM:
        return base64.b32encode(digest).decode("ascii").lower()[:length]
    return base64.urlsafe_b64encode(digest).decode("ascii")[:length]


class IdRegistry:
    """Hands out unique ids for one build."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def make(self, parts: tuple[str, ...], length: int, alphabet: str, prefix: str = "") -> str:
        salt = 0
        while True:
            candidate = prefix + _encode(parts if not salt else (*parts, str(salt)), length, alphabet)
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate
            salt += 1

    def node_id(self, flow: str, node: str) -> str:
        """A node id (10 hex characters, like the ids of the Botpress studio)."""
        return self.make(("node", flow, node), 10, HEX)

    def element_id(self, content_type: str, *where: str) -> str:
        """``<contentType>-<6 characters>``, from where the element is used."""
        return self.make(("element", content_type, *where), 6, URL_SAFE, prefix=f"{content_type}-")

    def random_id(self, kind: str, flow: str, node: str) -> str:
        """The 10-character ``randomId`` of a Call API or choice skill (``[a-z0-9]``)."""
        return self.make((kind, flow, node), 10, LOWER_ALNUM)

    def skill_suffix(self, skill: str, flow: str, node: str) -> str:
        """The 6-character suffix of a generated skill flow (``skills/choice-<suffix>.flow.json``)."""
        return self.make(("skill", skill, flow, node), 6, HEX)

    def skill_node_id(self, suffix: str, node: str) -> str:
        """The id of a node inside a generated skill flow (6 digits, as Botpress generates them)."""
        return self.make(("skill-node", suffix, node), 6, DIGITS)
