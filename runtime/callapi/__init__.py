"""Call API: outgoing HTTP requests from flows (``basic-skills/call_api`` and the DSL's ``call``)."""

from flowbot.runtime.callapi.models import ApiClient
from flowbot.runtime.callapi.models import ApiRequest
from flowbot.runtime.callapi.models import ApiResponse

__all__ = ["ApiClient", "ApiRequest", "ApiResponse"]
