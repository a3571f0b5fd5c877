"""Server settings: one validated object built once from ``<data>/flowbot.config.json`` and the
environment, then passed down (nothing reads the environment anywhere else).

Key names follow Botpress's ``botpress.config.json`` where Botpress has the setting
(``httpServer.bodyLimit``, ``httpServer.rateLimit``, ``converse.timeout``, ``jwtToken.duration`` ...);
flowbot's own settings sit beside them under documented names (``converse.enabled``,
``converse.rateLimit``, ``database.url``). Environment overrides: ``FLOWBOT_<SECTION>__<KEY>``
(``FLOWBOT_CONVERSE__TIMEOUT=10s``, ``FLOWBOT_JWT_TOKEN__DURATION=2h``); underscores inside a
name are ignored when matching, so ``FLOWBOT_APP_SECRET`` sets ``appSecret``.

Per bot, the ``converse`` block of ``bot.config.json`` overrides the ``converse`` settings, and
``disabled``/``private`` are read as Botpress does (see :func:`bot_serving`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated
from typing import Any

from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Field
from pydantic import SecretStr
from pydantic import ValidationError

from flowbot.errors import FlowbotError

CONFIG_FILE = "flowbot.config.json"
SECRET_FILE = "secret.key"
ENV_PREFIX = "FLOWBOT_"

logger = logging.getLogger("flowbot.settings")

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)


class SettingsError(FlowbotError):
    """The config file or an environment override is invalid; the message names the key."""


def parse_duration(value: Any) -> float:
    """A duration in seconds from the ``ms`` library's notation Botpress uses (``"5s"``, ``"1h"``,
    ``"500ms"``); a bare number is milliseconds, as in Botpress."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '5s', '30m' or '1h'")
    if isinstance(value, int | float):
        seconds = float(value) / 1000.0
    else:
        match = _DURATION_RE.match(str(value))
        if not match:
            raise ValueError(f"invalid duration {value!r}: expected a number and a unit (ms, s, m, h, d, w)")
        unit = (match.group(2) or "ms").lower()
        seconds = float(match.group(1)) * _DURATION_UNITS[unit]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


def parse_size(value: Any) -> int:
    """A size in bytes from ``"10mb"``, ``"100kb"`` or a number of bytes (body-parser's notation)."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as '100kb' or '1mb'")
    if isinstance(value, int | float):
        size = int(value)
    else:
        match = _SIZE_RE.match(str(value))
        if not match:
            raise ValueError(f"invalid size {value!r}: expected a number and a unit (b, kb, mb, gb)")
        size = int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])
    if size <= 0:
        raise ValueError("a size must be positive")
    return size


Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimitSettings(_Section):
    """At most ``limit`` requests per ``limitWindow`` (a token bucket refilled continuously)."""

    enabled: bool = False
    limitWindow: Duration = 30.0
    limit: int = Field(default=600, ge=1)


class HttpServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)
    # Botpress defaults to 10mb; a converse body is a few hundred bytes, so flowbot keeps 1mb.
    bodyLimit: Size = 1024 * 1024
    # Per client address, on every /api route (Botpress's key; flowbot applies it per address too).
    rateLimit: RateLimitSettings = Field(default_factory=RateLimitSettings)


class ConverseSettings(_Section):
    timeout: Duration = 5.0
    maxMessageLength: int = Field(default=360, ge=1)
    enableUnsecuredEndpoint: bool = True
    # flowbot: switch off every converse route (public, secured, stream) of a bot.
    enabled: bool = True
    # flowbot: per user id of a bot, on the converse routes.
    rateLimit: RateLimitSettings = Field(default_factory=RateLimitSettings)


class JwtTokenSettings(_Section):
    duration: Duration = 3600.0
    allowRefresh: bool = True


class DatabaseSettings(_Section):
    # Empty: SQLite in the data folder (<data>/flowbot.sqlite); or postgresql://... (docs/deploy.md).
    url: str = ""


class RedisSettings(_Section):
    # Empty: rate limits and stream notifications stay in each process; redis://host:6379/0 shares them.
    url: str = ""


class LogsSettings(_Section):
    accessLog: bool = True


class Settings(_Section):
    """Everything the server needs, resolved once. ``data_dir`` is where the store, the compiled bots
    and the token secret live."""

    data_dir: Path
    appSecret: SecretStr
    httpServer: HttpServerSettings = Field(default_factory=HttpServerSettings)
    converse: ConverseSettings = Field(default_factory=ConverseSettings)
    jwtToken: JwtTokenSettings = Field(default_factory=JwtTokenSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    logs: LogsSettings = Field(default_factory=LogsSettings)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'flowbot.sqlite'}"


class BotServing(_Section):
    """How the server treats one bot: Botpress's ``disabled``/``private`` and the effective converse
    settings (the bot's ``converse`` block over the global one)."""

    bot_id: str
    disabled: bool = False
    private: bool = False
    converse: ConverseSettings
    # Botpress checks the bot's own enableUnsecuredEndpoint, then the global one, with two messages.
    public_disabled_by_bot: bool = False


def ensure_secret(data_dir: Path) -> str:
    """The token-signing secret of ``data_dir``, created on first start (0600, never logged).

    Created with O_EXCL so that several workers starting together agree on one secret.
    """
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            logger.warning("%s was readable by others (mode %o); restricting it to 0600", path, mode)
            path.chmod(0o600)
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) < 32:
            raise SettingsError(
                f"{path}: the token secret is too short; delete the file to generate a new one"
            )
        return secret
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    logger.info("generated a new token-signing secret in %s", path)
    return path.read_text(encoding="ascii").strip()


def _normalize(name: str) -> str:
    return name.replace("_", "").lower()


def _set_path(
    target: dict[str, Any], model: type[BaseModel], parts: list[str], value: Any, env_name: str
) -> None:
    fields = {_normalize(name): name for name in model.model_fields}
    key = fields.get(_normalize(parts[0]))
    if key is None:
        raise SettingsError(
            f"{env_name}: unknown setting {parts[0]!r} (known: {', '.join(sorted(fields.values()))})"
        )
    if len(parts) == 1:
        target[key] = value
        return
    annotation = model.model_fields[key].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        raise SettingsError(f"{env_name}: {key!r} has no sub-settings")
    child = target.setdefault(key, {})
    if not isinstance(child, dict):
        raise SettingsError(f"{env_name}: {key!r} is not an object in the config file")
    _set_path(child, annotation, parts[1:], value, env_name)


def _env_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _apply_environment(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    top = {_normalize(name) for name in Settings.model_fields if name != "data_dir"}
    for env_name in sorted(environ):
        if not env_name.startswith(ENV_PREFIX):
            continue
        parts = env_name[len(ENV_PREFIX) :].split("__")
        # Other FLOWBOT_* variables (FLOWBOT_DATA_DIR, test switches) belong to other parts.
        if _normalize(parts[0]) not in top:
            continue
        _set_path(data, Settings, parts, _env_value(environ[env_name]), env_name)


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a JSON object")
    return data


def _format_errors(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid settings"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def load_settings(data_dir: Path | str, environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings of ``data_dir``: its config file, then ``FLOWBOT_*`` overrides from
    ``environ`` (``os.environ`` when None), then the secret (generated on first start)."""
    data_dir = Path(data_dir).resolve()
    environ = os.environ if environ is None else environ
    config_path = data_dir / CONFIG_FILE
    data = _read_config_file(config_path)
    data.pop("$schema", None)
    _apply_environment(data, environ)
    if "appSecret" in data and not environ.get("FLOWBOT_APP_SECRET") and not environ.get("FLOWBOT_APPSECRET"):
        raise SettingsError(
            f"{config_path}: appSecret does not belong in the config file (it is often committed); "
            f"flowbot keeps it in {data_dir / SECRET_FILE}, or set FLOWBOT_APP_SECRET"
        )
    if not data.get("appSecret"):
        data["appSecret"] = ensure_secret(data_dir)
    try:
        return Settings.model_validate({**data, "data_dir": data_dir})
    except ValidationError as exc:
        raise SettingsError(_format_errors(str(config_path), exc)) from None


def bot_serving(settings: Settings, bot_id: str, config: Any) -> BotServing:
    """The effective serving settings of a bot from its ``BotConfig`` (``converse`` block,
    ``disabled``, ``private``). Unknown keys of the bot's converse block are Botpress's
    (``bufferDelayMs``) and are not used by flowbot: they are ignored, not rejected."""
    block = dict(getattr(config, "converse", None) or {})
    overrides = {key: value for key, value in block.items() if key in ConverseSettings.model_fields}
    try:
        # Validate only the keys the bot sets, then lay them over the global values (re-validating
        # dumped values would misread durations: a bare number is milliseconds).
        validated = ConverseSettings.model_validate(overrides)
        update = {key: getattr(validated, key) for key in overrides}
        if isinstance(overrides.get("rateLimit"), dict):
            update["rateLimit"] = settings.converse.rateLimit.model_copy(
                update={key: getattr(validated.rateLimit, key) for key in overrides["rateLimit"]}
            )
    except ValidationError as exc:
        raise SettingsError(_format_errors(f"bot {bot_id!r}: bot.config.json converse", exc)) from None
    converse = settings.converse.model_copy(update=update)
    return BotServing(
        bot_id=bot_id,
        disabled=bool(getattr(config, "disabled", False)),
        private=bool(getattr(config, "private", False)),
        converse=converse,
        public_disabled_by_bot=block.get("enableUnsecuredEndpoint") is False,
    )
