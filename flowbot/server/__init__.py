"""The Converse API server (Starlette, served by uvicorn through ``bot serve``)."""

from __future__ import annotations

from flowbot.server.app import create_app

__all__ = ["create_app"]
