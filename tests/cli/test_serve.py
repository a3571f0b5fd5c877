"""``bot serve`` as a real process on loopback: starts on real Botpress bots, answers /healthz,
logs a user in, refuses an unknown bot, shuts down cleanly on SIGTERM.

The full conversation (secured route with every include on the support bot, checked against the
reference sample) is added once the runtime's conversation service lands.
"""

from __future__ import annotations

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

BOT = [sys.executable, "-c", "from flowbot.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(compat_bots: Path, tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
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
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [*BOT, "serve", str(compat_bots), "--port", str(port), "--data-dir", str(data)],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"bot serve did not start:\n{(tmp_path / 'serve.log').read_text()}")
        time.sleep(0.1)
    yield base, tmp_path / "serve.log", process
    if process.poll() is None:
        process.kill()
        process.wait(10)
    log.close()


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
