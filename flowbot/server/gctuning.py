"""Garbage collection tuned for serving.

* A served process holds hundreds of thousands of objects that live as long as it does: the
  bots' flows and content, NLU models, compiled templates, imported modules. Each full (oldest
  generation) collection walked all of them: tens of milliseconds during which no request was
  served, most of the p99 tail under load. Once the app has started they are frozen (moved to
  the permanent generation), so collections only walk what requests allocate.
* The youngest generation was collected every 700 net allocations: with 50 turns in flight that
  is several collections per request, about a tenth of a turn's CPU. A request's objects are
  freed by reference counting when it ends; collections are only needed for cycles, so they run
  far less often (the threshold is a count of objects, a few MB at most).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
OLDER_THRESHOLDS = (20, 20)


class ServingGc:
    """A resource of :func:`flowbot.server.create_app`: list it last, so that it starts once the
    others (the conversation service, its store and models) are ready. Closing it restores the
    collector as it found it."""

    def __init__(self) -> None:
        self._thresholds = gc.get_threshold()

    async def start(self) -> None:
        self._thresholds = gc.get_threshold()
        gc.collect()  # startup's garbage is freed, not frozen
        gc.freeze()
        gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)

    async def close(self) -> None:
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()
