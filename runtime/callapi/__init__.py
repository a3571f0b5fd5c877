"""Call API: outgoing HTTP requests from flows (``basic-skills/call_api`` and the DSL's ``call``)."""

from flowbot.runtime.callapi.client import HttpApiClient
from flowbot.runtime.callapi.mock import MockApiClient
from flowbot.runtime.callapi.mock import MockRule
from flowbot.runtime.callapi.models import ApiClient
from flowbot.runtime.callapi.models import ApiRequest
from flowbot.runtime.callapi.models import ApiResponse
from flowbot.runtime.callapi.policy import HostPolicy
from flowbot.runtime.callapi.policy import HostRuleError

__all__ = [
    "ApiClient",
    "ApiRequest",
    "ApiResponse",
    "HostPolicy",
    "HostRuleError",
    "HttpApiClient",
    "MockApiClient",
    "MockRule",
]
