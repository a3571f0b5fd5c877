"""Settings: config file, environment overrides, durations and sizes, the secret, bot overrides."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from flowbot.runtime.flow import BotConfig
from flowbot.settings import SettingsError
from flowbot.settings import bot_serving
from flowbot.settings import load_settings
from flowbot.settings import parse_duration
from flowbot.settings import parse_size


def test_defaults_are_botpress_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, {})
    assert settings.converse.timeout == 5.0
    assert settings.converse.maxMessageLength == 360
    assert settings.converse.enableUnsecuredEndpoint is True
    assert settings.jwtToken.duration == 3600.0 and settings.jwtToken.allowRefresh is True
    assert (settings.httpServer.host, settings.httpServer.port) == ("127.0.0.1", 3000)
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'flowbot.sqlite'}"


def test_config_file_and_environment(tmp_path: Path) -> None:
    config = {
        "converse": {"timeout": "10s", "maxMessageLength": 500},
        "jwtToken": {"duration": "2h"},
        "httpServer": {"bodyLimit": "64kb"},
    }
    (tmp_path / "flowbot.config.json").write_text(json.dumps(config))
    env = {
        "FLOWBOT_CONVERSE__TIMEOUT": "1500",
        "FLOWBOT_HTTP_SERVER__PORT": "8080",
        "FLOWBOT_DATA_DIR": "/elsewhere",
        "FLOWBOT_TEST_X": "1",
    }
    settings = load_settings(tmp_path, env)
    assert settings.converse.timeout == 1.5  # a bare number is milliseconds, as in Botpress
    assert settings.converse.maxMessageLength == 500
    assert settings.jwtToken.duration == 7200.0
    assert settings.httpServer.bodyLimit == 64 * 1024
    assert settings.httpServer.port == 8080


def test_bad_settings_name_the_key(tmp_path: Path) -> None:
    (tmp_path / "flowbot.config.json").write_text(json.dumps({"converse": {"timeout": "soon"}}))
    with pytest.raises(SettingsError, match=r"converse\.timeout: .*invalid duration 'soon'"):
        load_settings(tmp_path, {})
    (tmp_path / "flowbot.config.json").write_text(json.dumps({"converse": {"timout": "5s"}}))
    with pytest.raises(SettingsError, match=r"converse\.timout: Extra inputs are not permitted"):
        load_settings(tmp_path, {})
    (tmp_path / "flowbot.config.json").write_text("{not json")
    with pytest.raises(SettingsError, match=r"flowbot\.config\.json:1:2: invalid JSON"):
        load_settings(tmp_path, {})
    (tmp_path / "flowbot.config.json").write_text("{}")
    with pytest.raises(SettingsError, match="FLOWBOT_CONVERSE__NOPE: unknown setting 'NOPE'"):
        load_settings(tmp_path, {"FLOWBOT_CONVERSE__NOPE": "1"})


def test_secret_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    first = load_settings(tmp_path, {})
    path = tmp_path / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings(tmp_path, {}).appSecret == first.appSecret
    assert len(first.appSecret.get_secret_value()) == 64
    assert first.appSecret.get_secret_value() not in repr(first)
    path.chmod(0o644)
    load_settings(tmp_path, {})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_secret_from_the_environment_and_not_from_the_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, {"FLOWBOT_APP_SECRET": "s" * 40})
    assert settings.appSecret.get_secret_value() == "s" * 40
    assert not (tmp_path / "secret.key").exists()
    (tmp_path / "flowbot.config.json").write_text(json.dumps({"appSecret": "committed-by-mistake"}))
    with pytest.raises(SettingsError, match="appSecret does not belong in the config file"):
        load_settings(tmp_path, {})


def test_durations_and_sizes() -> None:
    assert parse_duration("500ms") == 0.5
    assert parse_duration("2m") == 120.0
    assert parse_duration("1d") == 86400.0
    assert parse_duration(250) == 0.25
    assert parse_size("1mb") == 1024 * 1024
    assert parse_size(100) == 100
    for bad in ("", "5 parsecs", "-1s", True):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError):
        parse_size("big")


def test_bot_overrides(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, {"FLOWBOT_CONVERSE__RATE_LIMIT__LIMIT": "50"})
    config = BotConfig.model_validate(
        {
            "private": True,
            "converse": {
                "timeout": "30s",
                "bufferDelayMs": 100,
                "enableUnsecuredEndpoint": False,
                "rateLimit": {"enabled": True},
            },
        }
    )
    serving = bot_serving(settings, "b", config)
    assert serving.private and not serving.disabled
    assert serving.converse.timeout == 30.0
    assert serving.converse.maxMessageLength == 360
    assert serving.public_disabled_by_bot
    assert serving.converse.rateLimit.enabled and serving.converse.rateLimit.limit == 50
    with pytest.raises(SettingsError, match=r"(?s)bot .b.*maxMessageLength"):
        bot_serving(settings, "b", BotConfig.model_validate({"converse": {"maxMessageLength": "lots"}}))


def test_store_and_redis_from_the_environment_and_the_command_line(tmp_path: Path) -> None:
    from flowbot.server.main import with_overrides

    env = {"FLOWBOT_DATABASE__URL": "postgresql://db/bots", "FLOWBOT_REDIS__URL": "redis://cache:6379/0"}
    settings = load_settings(tmp_path, env)
    assert settings.database_url == "postgresql://db/bots" and settings.redis.url == "redis://cache:6379/0"
    assert load_settings(tmp_path, {}).redis.url == ""
    # bot serve --store/--redis win over the settings
    overridden = with_overrides(settings, "postgresql://other/x", None)
    assert (
        overridden.database_url == "postgresql://other/x" and overridden.redis.url == "redis://cache:6379/0"
    )
    assert with_overrides(settings, None, None) is settings
