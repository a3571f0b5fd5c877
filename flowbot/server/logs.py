"""Structured logs: one JSON object per line on stderr (``ts``, ``level``, ``logger``, ``message``,
plus the record's ``fields``), which log collectors read without parsing free text."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import TextIO

import orjson

ACCESS_LOGGER = "flowbot.server.access"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "info") -> None:
    """Route flowbot's and uvicorn's loggers to one JSON handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # flowbot writes its own access log (AccessLog: route templates, no query strings).
    logging.getLogger("uvicorn.access").disabled = True


def _line(entry: dict[str, Any]) -> str:
    try:
        return orjson.dumps(entry).decode()
    except TypeError:  # a value orjson cannot write (an integer past 64 bits...): as the other lines
        return json.dumps(entry, ensure_ascii=False, default=str)


AccessSink = Callable[[dict[str, Any]], None]


class AccessLog:
    """The access log: a JSON line per request, in the same shape as the other log lines.

    It runs on every request, so it skips the logging machinery (a record, a formatter and a
    flushed write per line cost more than the rest of a request): lines are queued and written
    together once per event-loop iteration, a single write for every request answered meanwhile.
    Lines are written by orjson (compact JSON): ``json.dumps`` with options builds an encoder per
    call, and took most of the ~8 µs the log cost per request.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending: list[str] = []
        self._second = -1
        self._second_text = ""
        self._millisecond = -1
        self._text = ""

    def _timestamp(self) -> str:
        # Hundreds of lines share a millisecond under load: format its text once. The ISO form of
        # the second changes once a second: format that then, not per millisecond.
        now = time.time()
        millisecond = int(now * 1000)
        if millisecond != self._millisecond:
            self._millisecond = millisecond
            second = int(now)
            if second != self._second:
                self._second = second
                self._second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._text = f"{self._second_text}.{int((now - second) * 1000):03d}+00:00"
        return self._text

    def __call__(self, fields: dict[str, Any]) -> None:
        entry = {"ts": self._timestamp(), "level": "info", "logger": ACCESS_LOGGER, "message": "access"}
        entry.update(fields)
        if not self._pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self._pending.append(_line(entry))

    def flush(self) -> None:
        if self._pending:
            lines, self._pending = self._pending, []
            try:
                self._stream.write("\n".join(lines) + "\n")
                self._stream.flush()
            except (OSError, ValueError):
                # A closed or full stderr must not fail requests.
                pass
