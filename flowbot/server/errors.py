"""HTTP errors with Botpress v12's body and status codes (reference §5.4, §6).

Botpress's global handler answers ``{"statusCode", "errorCode"?, "type", "message", "details",
"docs"}`` with ``statusCode`` as the HTTP status. Every error a client can cause is one of the
classes below; anything else becomes :class:`InternalServerError` without internals.
A few Botpress answers are plain text, not JSON: :class:`PlainTextError` keeps them exact.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.responses import JSONResponse
from starlette.responses import PlainTextResponse
from starlette.responses import Response

DOCS_URL = "https://botpress.com/docs"
_HTML_ESCAPES = {"<": "&lt;", ">": "&gt;", "/": "&#x2F;", "\\": "&#x5C;", "`": "&#96;"}


def escape_html_simple(text: str) -> str:
    """Botpress passes ``ResponseError`` messages through ``escapeHtmlSimple``: a message that
    echoes client input can never carry markup."""
    return "".join(_HTML_ESCAPES.get(char, char) for char in text)


class ApiError(Exception):
    """An error answered as a Botpress JSON error body."""

    status_code: int = 400
    error_type: str = "Error"
    error_code: str | None = None
    prefix: str = ""

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, escape: bool = True) -> None:
        text = f"{self.prefix}{message}"
        self.message = escape_html_simple(text) if escape else text
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"statusCode": self.status_code}
        if self.error_code is not None:
            body["errorCode"] = self.error_code
        body.update({"type": self.error_type, "message": self.message, "details": "", "docs": DOCS_URL})
        return body

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status_code, headers=self.headers)


class StandardError(ApiError):
    """Joi validation failures of the public route: ``Invalid payload: <joi message>``."""

    error_type = "StandardError"
    prefix = "Invalid payload: "


class InvalidParameterError(ApiError):
    error_type = "InvalidParameterError"


class RequestTimedOutError(ApiError):
    """``converse.timeout`` elapsed; the turn goes on and its responses reach the user later."""

    error_type = "Error"

    def __init__(self) -> None:
        super().__init__("Request timed out.")


class BadRequestError(ApiError):
    error_type = "BadRequestError"
    error_code = "BP_0040"
    prefix = "Bad Request: "


class InvalidCredentialsError(ApiError):
    error_type = "InvalidCredentialsError"
    error_code = "BP_0009"

    def __init__(self) -> None:
        super().__init__("Invalid credentials")


class UnauthorizedError(ApiError):
    status_code = 401
    error_type = "UnauthorizedError"
    error_code = "BP_0041"
    prefix = "Unauthorized: "


class ForbiddenError(ApiError):
    status_code = 403
    error_type = "ForbiddenError"
    error_code = "BP_0043"
    prefix = "Forbidden: "


class NotFoundError(ApiError):
    status_code = 404
    error_type = "NotFoundError"
    error_code = "BP_0044"
    prefix = "Not Found: "


class MethodNotAllowedError(ApiError):
    status_code = 405
    error_type = "MethodNotAllowedError"


class PayloadTooLargeError(ApiError):
    """body-parser's answer to a body over ``httpServer.bodyLimit``."""

    status_code = 413
    error_type = "entity.too.large"

    def __init__(self) -> None:
        super().__init__("request entity too large")


class MalformedJsonError(ApiError):
    """body-parser's answer to a body that is not JSON."""

    error_type = "entity.parse.failed"


class UnsupportedEncodingError(ApiError):
    status_code = 415
    error_type = "encoding.unsupported"


class TooManyRequestsError(ApiError):
    status_code = 429
    error_type = "TooManyRequestsError"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__("Too many requests, please try again later.", headers={"Retry-After": str(seconds)})


class ServiceUnavailableError(ApiError):
    status_code = 503
    error_type = "NotReadyError"
    error_code = "BP_0140"
    prefix = "Service Not Ready: "


class InternalServerError(ApiError):
    status_code = 500
    error_type = "InternalServerError"
    error_code = "BP_0050"

    def __init__(self) -> None:
        super().__init__("An unexpected error occurred; it was logged on the server.")


class PlainTextError(Exception):
    """Botpress answers a few refusals with a bare text body (converse-router.ts)."""

    def __init__(self, status_code: int, text: str) -> None:
        self.status_code = status_code
        self.text = text
        super().__init__(text)

    def response(self) -> Response:
        return PlainTextResponse(self.text, status_code=self.status_code)
