"""``bot serve`` as a real process on loopback: starts on real Botpress bots, answers /healthz,
logs a user in, refuses an unknown bot, shuts down cleanly on SIGTERM.

The full conversation of the reference (secured route with every include on the example support
bot, and the public route answering the same conversation) runs once the runtime's conversation
service and ``bots/support`` exist; until then it skips, saying which is missing.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

BOT = [sys.executable, "-c", "from flowbot.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(bots: Path, tmp_path: Path) -> tuple[str, Path, subprocess.Popen[str]]:
    data = tmp_path / "data"
    add = subprocess.run(
        [*BOT, "users", "add", "ops@example.com", "--role", "admin", "--data-dir", str(data)],
        input="a-long-password\n",
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert add.returncode == 0, add.stderr
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*BOT, "serve", str(bots), "--port", str(port), "--data-dir", str(data)],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return base, log_path, process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"bot serve did not start:\n{log_path.read_text()}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


@pytest.fixture
def server(compat_bots: Path, tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    started = _start(compat_bots, tmp_path)
    yield started
    _stop(started[2])


def test_bot_serve_on_loopback(server: tuple[str, Path, subprocess.Popen[str]]) -> None:
    base, log_path, process = server
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    login = httpx.post(
        f"{base}/api/v1/auth/login/basic/default",
        json={"email": "ops@example.com", "password": "a-long-password"},
    )
    assert login.status_code == 200
    token = login.json()["payload"]["jwt"]
    assert login.json()["payload"]["exp"] == 3_600_000
    missing = httpx.post(f"{base}/api/v1/bots/no-such-bot/converse/u1", json={"type": "text", "text": "hi"})
    assert missing.status_code == 404
    assert missing.json()["message"] == "Not Found: Invalid Bot ID"
    secured = httpx.post(
        f"{base}/api/v1/bots/no-such-bot/converse/u1/secured",
        json={"text": "hi"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert secured.status_code == 404
    ready = httpx.get(f"{base}/readyz").json()
    assert ready["status"] in {"ready", "unavailable"}
    document = httpx.get(f"{base}/openapi.json").json()
    assert document["openapi"].startswith("3.")
    process.send_signal(signal.SIGTERM)
    # uvicorn re-raises the signal once it has shut down gracefully.
    assert process.wait(30) in (0, -signal.SIGTERM)
    assert "Application shutdown complete." in log_path.read_text()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("message") == "access" and line["path"] != "/healthz"]
    assert {"method": "POST", "path": "/api/v1/auth/login/basic/{strategy}", "status": 200}.items() <= access[
        0
    ].items()
    assert {
        "method": "POST",
        "path": "/api/v1/bots/{botId}/converse/{userId}",
        "status": 404,
        "bot": "no-such-bot",
    }.items() <= access[1].items()
    assert all(token not in json.dumps(line) and "a-long-password" not in json.dumps(line) for line in lines)


SAMPLE_NLU = {
    "entities": [],
    "language": "n/a",
    "ambiguous": False,
    "slots": {},
    "intent": {"name": "none", "confidence": 1, "context": "global"},
    "intents": [],
    "errored": False,
    "includedContexts": ["global"],
}
SAMPLE_DECISION = {
    "decision": {"reason": "no suggestion matched", "status": "elected"},
    "confidence": 1,
    "payloads": [],
    "source": "decisionEngine",
    "sourceDetails": "execute default flow",
}
LAST_MESSAGE_KEYS = {
    "eventId",
    "incomingPreview",
    "replyConfidence",
    "replySource",
    "replyDate",
    "replyPreview",
}


@pytest.fixture
def support_server(tmp_path: Path) -> Iterator[str]:
    if importlib.util.find_spec("flowbot.runtime.service") is None:
        pytest.skip("the runtime's conversation service (flowbot.runtime.service) is not there yet")
    support = ROOT / "bots" / "support"
    if not support.is_dir():
        pytest.skip(f"{support} (the example support bot) is not there yet")
    base, _, process = _start(support, tmp_path)
    deadline = time.monotonic() + 60
    while httpx.get(f"{base}/readyz").status_code != 200:
        assert time.monotonic() < deadline, httpx.get(f"{base}/readyz").text
        time.sleep(0.2)
    yield base
    _stop(process)


def test_reference_conversation_on_the_support_bot(support_server: str) -> None:
    base = support_server
    login = httpx.post(
        f"{base}/api/v1/auth/login/basic/default",
        json={"email": "ops@example.com", "password": "a-long-password"},
    )
    assert login.json()["status"] == "success" and login.json()["message"] == "Login successful"
    headers = {"Authorization": f"Bearer {login.json()['payload']['jwt']}"}
    body = {"type": "text", "text": "Hie", "includedContexts": ["global"], "metadata": {}}
    url = f"{base}/api/v1/bots/support/converse/e2e-user/secured?include=nlu,state,suggestions,decision"
    answer = httpx.post(url, json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert set(result) == {"responses", "nlu", "state", "suggestions", "decision"}
    assert result["responses"] and all(isinstance(r.get("type"), str) for r in result["responses"])
    nlu = dict(result["nlu"])
    assert isinstance(nlu.pop("ms"), int | float)
    assert nlu == SAMPLE_NLU
    assert result["suggestions"] == []
    assert result["decision"] == SAMPLE_DECISION
    state = result["state"]
    assert {"__stacktrace", "user", "context", "session", "temp"} <= set(state)
    assert state["__stacktrace"][0] == {"flow": "main.flow.json", "node": "entry"}
    assert all(set(frame) == {"flow", "node"} for frame in state["__stacktrace"])
    [last] = state["session"]["lastMessages"]
    assert set(last) == LAST_MESSAGE_KEYS and last["incomingPreview"] == "Hie"
    # The public route answers the same conversation (another user, same first message).
    public = httpx.post(f"{base}/api/v1/bots/support/converse/e2e-public", json=body)
    assert public.status_code == 200
    assert public.json() == {"responses": result["responses"]}
