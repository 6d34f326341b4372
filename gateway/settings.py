"""Settings, read once from the environment into a typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from connectors.domain import WIB


class SettingsError(ValueError):
    """A missing or invalid setting; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    ekin_dsn: str
    sppspm_dsn: str
    crosswalk: Path
    host: str = "127.0.0.1"
    port: int = 8000
    pool_max_size: int = 10
    statement_timeout_ms: int = 10_000
    fiscal_year: int | None = None
    graphiql: bool = True
    log_level: str = "info"

    def current_fiscal_year(self) -> int:
        """The fiscal year used when a query names none: the setting, else today's WIB year."""
        return self.fiscal_year or datetime.now(WIB).year

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            ekin_dsn=_required(env, "SMARTGATE_EKIN_DSN"),
            sppspm_dsn=_required(env, "SMARTGATE_SPPSPM_DSN"),
            crosswalk=_existing_file(env, "SMARTGATE_CROSSWALK"),
            host=env.get("SMARTGATE_HOST", "127.0.0.1"),
            port=_integer(env, "SMARTGATE_PORT", 8000, 1, 65535),
            pool_max_size=_integer(env, "SMARTGATE_POOL_MAX_SIZE", 10, 1, 1000),
            statement_timeout_ms=_integer(
                env, "SMARTGATE_STATEMENT_TIMEOUT_MS", 10_000, 1, 3_600_000
            ),
            fiscal_year=_optional_integer(env, "SMARTGATE_FISCAL_YEAR", 2000, 2100),
            graphiql=_boolean(env, "SMARTGATE_GRAPHIQL", True),
            log_level=_choice(
                env, "SMARTGATE_LOG_LEVEL", "info", ("debug", "info", "warning", "error")
            ),
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set")
    return value


def _existing_file(env: Mapping[str, str], name: str) -> Path:
    path = Path(_required(env, name))
    if not path.is_file():
        raise SettingsError(f"{name}={str(path)!r} is not a readable file")
    return path


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = _optional_integer(env, name, low, high)
    return default if value is None else value


def _optional_integer(env: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is out of range {low}..{high}")
    return value


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = env.get(name, "").strip().lower()
    if not text:
        return default
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={text!r} is not a boolean (true or false)")


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    text = env.get(name, "").strip().lower() or default
    if text not in choices:
        raise SettingsError(f"{name}={text!r} is not one of {', '.join(choices)}")
    return text
