"""Settings, read once from the environment into a typed object."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from connectors.domain import WIB
from gateway.access.limits import DEFAULT_MAX_OVERLAPS, DEFAULT_MAX_SELECTIONS


class SettingsError(ValueError):
    """A missing or invalid setting; the message names the variable."""


@dataclass(frozen=True, slots=True)
class RoleLimits:
    """What one request of a role may cost: query cost, time, requests per minute, and
    aliases (None: `SMARTGATE_MAX_ALIASES`, the limit of roles without one of their own)."""

    cost: int
    time_budget_ms: int
    requests_per_minute: int
    max_aliases: int | None = None


ANONYMOUS_ROLE = "ANONYMOUS"
ROLE_NAMES = (ANONYMOUS_ROLE, "STAFF", "DEPT_SYSTEM", "FINANCE", "ANALYST", "ADMIN")

DEFAULT_MAX_ALIASES = 30

# People and systems ask narrow questions, often. Analysts compare: one query holds a year
# month by month, several measures each, so ANALYST's limits are sized for 12 months x 5
# measures in one query:
# - aliases 200: 12 x 5 aliased root fields, each with an alias or two inside (a sum of
#   amounts and one of net amounts), is 120 to 180;
# - cost 250,000: a statistics field costs its `first` (1,000 groups by default) plus the
#   records its keys name (1,000 a key), so 12 x 5 fields grouped by one named key cost
#   120,000, by two 180,000; twelve pages of 500 reconciled allowances with their
#   employees and requests cost 42,000;
# - time budget 60 s: those 60 statements queue for the analytics pool (3 connections a
#   source), at a second or two each on city data;
# - 600 requests a minute: the analytics pool, not the rate, is what keeps analysts off
#   the frontends' connections; the rate only stops a runaway loop (paging a year of
#   allowances by 500 is 300 requests).
DEFAULT_ROLE_LIMITS: Mapping[str, RoleLimits] = MappingProxyType(
    {
        ANONYMOUS_ROLE: RoleLimits(cost=50, time_budget_ms=2_000, requests_per_minute=30),
        "STAFF": RoleLimits(cost=5_000, time_budget_ms=5_000, requests_per_minute=120),
        "DEPT_SYSTEM": RoleLimits(cost=20_000, time_budget_ms=10_000, requests_per_minute=600),
        "FINANCE": RoleLimits(cost=20_000, time_budget_ms=10_000, requests_per_minute=300),
        "ANALYST": RoleLimits(
            cost=250_000, time_budget_ms=60_000, requests_per_minute=600, max_aliases=200
        ),
        "ADMIN": RoleLimits(cost=100_000, time_budget_ms=30_000, requests_per_minute=600),
    }
)


@dataclass(frozen=True, slots=True)
class AccessSettings:
    """Authentication, query limits and browser safety."""

    production: bool = False
    jwt_secret: str | None = None
    jwt_public_key: str | None = None  # PEM text
    jwks: Mapping[str, Any] | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    trusted_documents: Path | None = None
    cors_origins: tuple[str, ...] = ()
    max_depth: int = 12
    max_aliases: int = DEFAULT_MAX_ALIASES
    max_selections: int = DEFAULT_MAX_SELECTIONS
    max_overlaps: int = DEFAULT_MAX_OVERLAPS
    max_tokens: int = 5_000
    max_batch: int = 10
    max_body_bytes: int = 256 * 1024
    role_limits: Mapping[str, RoleLimits] = field(default_factory=lambda: DEFAULT_ROLE_LIMITS)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AccessSettings:
        return cls(
            production=_choice(env, "SMARTGATE_ENV", "development", ("development", "production"))
            == "production",
            jwt_secret=env.get("SMARTGATE_JWT_SECRET", "").strip() or None,
            jwt_public_key=_public_key(env, "SMARTGATE_JWT_PUBLIC_KEY"),
            jwks=_json_file(env, "SMARTGATE_JWKS_FILE"),
            jwt_issuer=env.get("SMARTGATE_JWT_ISSUER", "").strip() or None,
            jwt_audience=env.get("SMARTGATE_JWT_AUDIENCE", "").strip() or None,
            trusted_documents=_optional_file(env, "SMARTGATE_TRUSTED_DOCUMENTS"),
            cors_origins=tuple(
                o.strip() for o in env.get("SMARTGATE_CORS_ORIGINS", "").split(",") if o.strip()
            ),
            max_depth=_integer(env, "SMARTGATE_MAX_DEPTH", 12, 1, 100),
            max_aliases=_integer(env, "SMARTGATE_MAX_ALIASES", DEFAULT_MAX_ALIASES, 0, 10_000),
            max_selections=_integer(
                env, "SMARTGATE_MAX_SELECTIONS", DEFAULT_MAX_SELECTIONS, 1, 1_000_000
            ),
            max_overlaps=_integer(env, "SMARTGATE_MAX_OVERLAPS", DEFAULT_MAX_OVERLAPS, 0, 10**9),
            max_tokens=_integer(env, "SMARTGATE_MAX_TOKENS", 5_000, 10, 1_000_000),
            max_batch=_integer(env, "SMARTGATE_MAX_BATCH", 10, 1, 1_000),
            max_body_bytes=_integer(env, "SMARTGATE_MAX_BODY_BYTES", 256 * 1024, 1_024, 1 << 30),
            role_limits=MappingProxyType({role: _role_limits(env, role) for role in ROLE_NAMES}),
        )

    def limits_of(self, roles: frozenset[str]) -> RoleLimits:
        """The most generous limits among the caller's roles (ANONYMOUS when none), with
        the alias limit resolved (`max_aliases` for roles without one of their own)."""
        held = [self.role_limits[r] for r in roles if r in self.role_limits] or [
            self.role_limits[ANONYMOUS_ROLE]
        ]
        return RoleLimits(
            cost=max(r.cost for r in held),
            time_budget_ms=max(r.time_budget_ms for r in held),
            requests_per_minute=max(r.requests_per_minute for r in held),
            max_aliases=max(
                self.max_aliases if r.max_aliases is None else r.max_aliases for r in held
            ),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    ekin_dsn: str
    sppspm_dsn: str
    crosswalk: Path
    host: str = "127.0.0.1"
    port: int = 8000
    pool_max_size: int = 10
    statement_timeout_ms: int = 10_000
    pool_acquire_timeout_ms: int = 2_000
    breaker_failures: int = 5
    breaker_cool_down_ms: int = 10_000
    ready_requires_all_sources: bool = True
    fiscal_year: int | None = None
    graphiql: bool = True
    log_level: str = "info"
    audit_log: Path | None = None
    events_poll_ms: int = 1000
    calendar_refresh_s: int = 3600
    otlp_endpoint: str | None = None
    shutdown_grace_s: int = 20
    ekin_analytics_dsn: str | None = None  # None: the analytics pool opens on ekin_dsn
    sppspm_analytics_dsn: str | None = None
    analytics_pool_max_size: int = 3
    analytics_statement_timeout_ms: int = 30_000
    analytics_queue_timeout_ms: int = 30_000
    access: AccessSettings = AccessSettings()

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
            pool_acquire_timeout_ms=_integer(
                env, "SMARTGATE_POOL_ACQUIRE_TIMEOUT_MS", 2_000, 1, 600_000
            ),
            breaker_failures=_integer(env, "SMARTGATE_BREAKER_FAILURES", 5, 1, 1_000),
            breaker_cool_down_ms=_integer(
                env, "SMARTGATE_BREAKER_COOL_DOWN_MS", 10_000, 100, 3_600_000
            ),
            ready_requires_all_sources=_boolean(env, "SMARTGATE_READY_REQUIRES_ALL_SOURCES", True),
            fiscal_year=_optional_integer(env, "SMARTGATE_FISCAL_YEAR", 2000, 2100),
            graphiql=_boolean(env, "SMARTGATE_GRAPHIQL", True),
            log_level=_choice(
                env, "SMARTGATE_LOG_LEVEL", "info", ("debug", "info", "warning", "error")
            ),
            audit_log=Path(env["SMARTGATE_AUDIT_LOG"].strip())
            if env.get("SMARTGATE_AUDIT_LOG", "").strip()
            else None,
            events_poll_ms=_integer(env, "SMARTGATE_EVENTS_POLL_MS", 1000, 50, 60_000),
            calendar_refresh_s=_integer(env, "SMARTGATE_CALENDAR_REFRESH_S", 3600, 1, 86_400),
            otlp_endpoint=env.get("SMARTGATE_OTLP_ENDPOINT", "").strip() or None,
            shutdown_grace_s=_integer(env, "SMARTGATE_SHUTDOWN_GRACE_S", 20, 0, 3600),
            ekin_analytics_dsn=env.get("SMARTGATE_EKIN_ANALYTICS_DSN", "").strip() or None,
            sppspm_analytics_dsn=env.get("SMARTGATE_SPPSPM_ANALYTICS_DSN", "").strip() or None,
            analytics_pool_max_size=_integer(env, "SMARTGATE_ANALYTICS_POOL_MAX_SIZE", 3, 1, 1000),
            analytics_statement_timeout_ms=_integer(
                env, "SMARTGATE_ANALYTICS_STATEMENT_TIMEOUT_MS", 30_000, 1, 3_600_000
            ),
            analytics_queue_timeout_ms=_integer(
                env, "SMARTGATE_ANALYTICS_QUEUE_TIMEOUT_MS", 30_000, 1, 600_000
            ),
            access=AccessSettings.from_env(env),
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


def _optional_file(env: Mapping[str, str], name: str) -> Path | None:
    return _existing_file(env, name) if env.get(name, "").strip() else None


def _public_key(env: Mapping[str, str], name: str) -> str | None:
    """PEM text given inline, or the path of a PEM file."""
    value = env.get(name, "").strip()
    if not value:
        return None
    if value.startswith("-----BEGIN"):
        return value
    return _existing_file(env, name).read_text()


def _json_file(env: Mapping[str, str], name: str) -> Mapping[str, Any] | None:
    path = _optional_file(env, name)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise SettingsError(f"{name}={str(path)!r} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise SettingsError(f'{name}={str(path)!r} is not a JWKS document ({{"keys": [...]}})')
    return data


def _role_limits(env: Mapping[str, str], role: str) -> RoleLimits:
    default = DEFAULT_ROLE_LIMITS[role]
    aliases = _optional_integer(env, f"SMARTGATE_{role}_MAX_ALIASES", 0, 10_000)
    return RoleLimits(
        cost=_integer(env, f"SMARTGATE_{role}_COST_LIMIT", default.cost, 1, 10**12),
        time_budget_ms=_integer(
            env, f"SMARTGATE_{role}_TIME_BUDGET_MS", default.time_budget_ms, 100, 3_600_000
        ),
        requests_per_minute=_integer(
            env, f"SMARTGATE_{role}_RATE_PER_MINUTE", default.requests_per_minute, 1, 1_000_000
        ),
        max_aliases=default.max_aliases if aliases is None else aliases,
    )
