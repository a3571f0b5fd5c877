"""The OpenAPI 3.1 document of the server, served at ``/openapi.json``. Body and answer schemas are
generated from the same pydantic models the routes validate with, so the document cannot drift."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from flowbot.server import schemas

_ERRORS = {
    "400": "Invalid payload, text too long, malformed JSON, or the turn timed out (Request timed out.)",
    "401": "Missing, malformed, expired, wrongly signed or revoked token, or an invalid API key",
    "403": "No access to this bot, or the endpoint is disabled (plain text, as Botpress)",
    "404": "Unknown bot (Invalid Bot ID) or disabled bot (Bot is disabled)",
    "413": "Body over httpServer.bodyLimit",
    "429": "Rate limited; see the Retry-After header",
}


class _Collector:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        self.components.update(schema.pop("$defs", {}))
        self.components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(ref: dict[str, str], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _path_params(*names: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in names]


def _errors(c: _Collector, *codes: str) -> dict[str, Any]:
    error = c.ref(schemas.ErrorBody)
    return {code: _json(error, _ERRORS[code]) for code in codes}


def _converse_paths(c: _Collector) -> dict[str, Any]:
    base = "/api/v1/bots/{botId}/converse/{userId}"
    include = {
        "name": "include",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Comma-separated: nlu, state, suggestions, decision, credentials",
    }
    return {
        base: {
            "post": {
                "summary": "Send a message to a bot (public)",
                "parameters": [
                    *_path_params("botId", "userId"),
                    {**include, "description": "Only 'responses'"},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": c.ref(schemas.ConverseBody)}},
                },
                "responses": {
                    "200": _json(c.ref(schemas.ConverseAnswer), "The bot's answer"),
                    **_errors(c, "400", "403", "404", "413", "429"),
                },
            }
        },
        f"{base}/secured": {
            "post": {
                "summary": "Send a message and get the debug parts of the turn",
                "security": [{"bearer": []}, {"apiKey": []}],
                "parameters": [*_path_params("botId", "userId"), include],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": c.ref(schemas.SecuredConverseBody)}},
                },
                "responses": {
                    "200": _json(c.ref(schemas.DebugAnswer), "The answer with the included parts"),
                    **_errors(c, "400", "401", "403", "404", "413", "429"),
                },
            }
        },
    }


_OK = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}


def _event_paths(c: _Collector) -> dict[str, Any]:
    return {
        "/api/v1/bots/{botId}/converse/{userId}/stream": {
            "get": {
                "summary": "Server-Sent Events: the user's proactive messages (event: message, data: a payload)",
                "security": [{"bearer": []}, {"apiKey": []}],
                "parameters": _path_params("botId", "userId"),
                "responses": {
                    "200": {
                        "description": "An event stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    **_errors(c, "401", "403", "404"),
                },
            }
        },
        "/api/v1/bots/{botId}/users/{userId}/events": {
            "post": {
                "summary": "Start a flow for a user (a proactive message)",
                "security": [{"bearer": []}, {"apiKey": []}],
                "parameters": _path_params("botId", "userId"),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": c.ref(schemas.EventBody)}},
                },
                "responses": {
                    "200": _json(c.ref(schemas.EventAnswer), "The turn ran and its messages were delivered"),
                    "202": _json(
                        c.ref(schemas.EventAnswer),
                        "The turn outlived converse.timeout; it delivers when done",
                    ),
                    **_errors(c, "400", "401", "403", "404", "413", "429"),
                },
            }
        },
    }


def _auth_paths(c: _Collector) -> dict[str, Any]:
    return {
        "/api/v1/auth/login/basic/{strategy}": {
            "post": {
                "summary": "Log in; the strategy is 'default'",
                "parameters": _path_params("strategy"),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": c.ref(schemas.LoginBody)}},
                },
                "responses": {
                    "200": _json(c.ref(schemas.LoginAnswer), "The token; exp is its lifetime in ms"),
                    **_errors(c, "400", "404", "429"),
                },
            }
        },
        "/api/v1/auth/refresh": {
            "get": {
                "summary": "A new token for a valid one",
                "security": [{"bearer": []}],
                "responses": {
                    "200": _json(c.ref(schemas.RefreshAnswer), "The new token"),
                    **_errors(c, "401"),
                },
            }
        },
        "/api/v1/auth/logout": {
            method: {
                "summary": "Revoke every token of the user",
                "security": [{"bearer": []}],
                "responses": {"200": _OK, **_errors(c, "401")},
            }
            for method in ("get", "post")
        },
    }


def _ops_paths() -> dict[str, Any]:
    ok = _OK
    return {
        "/healthz": {"get": {"summary": "Liveness", "responses": {"200": ok}}},
        "/readyz": {
            "get": {"summary": "Readiness: bots loaded, store answering", "responses": {"200": ok, "503": ok}}
        },
        "/openapi.json": {"get": {"summary": "This document", "responses": {"200": ok}}},
    }


def openapi_document(version: str) -> dict[str, Any]:
    collector = _Collector()
    paths = {
        **_converse_paths(collector),
        **_event_paths(collector),
        **_auth_paths(collector),
        **_ops_paths(),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "flowbot Converse API",
            "version": version,
            "description": "The Botpress v12 Converse API, plus proactive messages, API keys and rate limits.",
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(collector.components.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
