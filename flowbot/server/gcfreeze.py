"""Keeping the garbage collector off what startup built.

A served process holds hundreds of thousands of objects that live as long as it does: the bots'
flows and content, NLU models, compiled templates, imported modules. Each full (oldest
generation) collection walks all of them: tens of milliseconds during which no request is
served, which was most of the p99 tail under load. Freezing them once the app has started moves
them to the permanent generation, so collections only walk what requests allocate.
"""

from __future__ import annotations

import gc


class FrozenStartup:
    """A resource of :func:`flowbot.server.create_app`: list it last, so that it starts once the
    others (the conversation service, its store and models) are ready."""

    async def start(self) -> None:
        gc.collect()  # startup's garbage is freed, not frozen
        gc.freeze()

    async def close(self) -> None:
        gc.unfreeze()
