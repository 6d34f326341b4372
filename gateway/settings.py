"""Settings, read once from the environment into a typed object.

Each setting is declared once, on the field that holds it: its variable, its default,
the kind of value it takes (which parses the text, checks ranges and choices and says
what is wrong in one line) and what it means. `Settings.from_env` reads the fields in
order and stops at the first bad value with a `SettingsError` naming the variable;
`settings_table()` renders the same declarations as the Markdown table of
docs/operations.md (`smartgate settings-table` prints it).
"""

from __future__ import annotations

import json
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from connectors.domain import WIB
from gateway.access.limits import DEFAULT_MAX_OVERLAPS, DEFAULT_MAX_SELECTIONS

T = TypeVar("T")


class SettingsError(ValueError):
    """A missing or invalid setting; the message is one line naming the variable."""


# -- kinds of value ------------------------------------------------------------------------
# A kind parses a variable's text into its value, raising ValueError with the reason (the
# words after "SMARTGATE_X='...'"), and tells the docs which values it takes.


class Kind(ABC, Generic[T]):
    @abstractmethod
    def parse(self, text: str) -> T: ...

    @abstractmethod
    def values(self) -> str:
        """What the docs say this setting takes."""

    def show(self, value: T) -> str:
        """A default as the docs show it."""
        return f"`{value}`"


@dataclass(frozen=True, slots=True)
class Text(Kind[str]):
    def parse(self, text: str) -> str:
        return text

    def values(self) -> str:
        return "text"


@dataclass(frozen=True, slots=True)
class WholeNumber(Kind[int]):
    low: int
    high: int

    def parse(self, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError("is not a whole number") from None
        if not self.low <= value <= self.high:
            raise ValueError(f"is out of range {self.low}..{self.high}")
        return value

    def values(self) -> str:
        def number(n: int) -> str:
            return f"{n:,}" if n >= 10_000 else str(n)  # years and small counts unseparated

        return f"{number(self.low)} to {number(self.high)}"


@dataclass(frozen=True, slots=True)
class Boolean(Kind[bool]):
    def parse(self, text: str) -> bool:
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError("is not a boolean (true or false)")

    def values(self) -> str:
        return "`true` or `false`"

    def show(self, value: bool) -> str:
        return "`true`" if value else "`false`"


@dataclass(frozen=True, slots=True)
class Choice(Kind[T]):
    """One of some words (any case), each standing for a value."""

    choices: Mapping[str, T]

    @classmethod
    def of(cls, *words: str) -> Choice[str]:
        return Choice({word: word for word in words})

    def parse(self, text: str) -> T:
        try:
            return self.choices[text.lower()]
        except KeyError:
            raise ValueError(f"is not one of {', '.join(self.choices)}") from None

    def values(self) -> str:
        words = [f"`{word}`" for word in self.choices]
        return ", ".join(words[:-1]) + " or " + words[-1]

    def show(self, value: T) -> str:
        return next(f"`{word}`" for word, v in self.choices.items() if v == value)


@dataclass(frozen=True, slots=True)
class Dsn(Kind[str]):
    """A PostgreSQL DSN, parsed as asyncpg parses it when it connects (nothing is
    connected to here), so a typo stops the start instead of every request."""

    def parse(self, text: str) -> str:
        from asyncpg import connect_utils

        try:
            addresses, _ = connect_utils._parse_connect_dsn_and_args(
                dsn=text,
                host=None,
                port=None,
                user=None,
                password=None,
                passfile=None,
                database=None,
                ssl=None,
                direct_tls=None,
                server_settings=None,
                target_session_attrs=None,
                krbsrvname=None,
                gsslib=None,
                service=None,
                servicefile=None,
            )
        except Exception as exc:  # asyncpg raises ValueError, OSError and its own errors
            raise ValueError(f"is not a DSN asyncpg can use: {_redacted(str(exc), text)}") from None
        for address in addresses:
            if isinstance(address, tuple) and not 1 <= address[1] <= 65535:
                raise ValueError(f"is not a DSN asyncpg can use: port {address[1]} is not 1..65535")
        return text

    def values(self) -> str:
        return "PostgreSQL DSN"


def _redacted(reason: str, dsn: str) -> str:
    password = urlsplit(dsn).password if "://" in dsn else None
    return reason.replace(password, "***") if password else reason


@dataclass(frozen=True, slots=True)
class ExistingFile(Kind[Path]):
    described_as: str = "path of a file"

    def parse(self, text: str) -> Path:
        path = Path(text)
        if not path.is_file() or not os.access(path, os.R_OK):
            raise ValueError("is not a readable file")
        return path

    def values(self) -> str:
        return self.described_as


@dataclass(frozen=True, slots=True)
class CrosswalkFile(Kind[Path]):
    """The crosswalk CSV, read once here so that a bad row stops the start."""

    def parse(self, text: str) -> Path:
        from gateway.crosswalk import Crosswalk, CrosswalkError

        path = ExistingFile().parse(text)
        try:
            Crosswalk.load(path)
        except CrosswalkError as exc:
            raise ValueError(f"is not a usable crosswalk: {_without(path, str(exc))}") from None
        return path

    def values(self) -> str:
        return "path of a CSV file"


def _without(path: Path, reason: str) -> str:
    """A loader's reason without the path the message has already named: `x.csv:2: ...`
    becomes `line 2: ...`, `x.json: ...` becomes `...`."""
    if not reason.startswith(f"{path}:"):
        return reason
    rest = reason.removeprefix(f"{path}:")
    return f"line {rest}" if re.match(r"[0-9]+:", rest) else rest.lstrip()


@dataclass(frozen=True, slots=True)
class WritableFile(Kind[Path]):
    def parse(self, text: str) -> Path:
        path = Path(text)
        if path.is_dir():
            raise ValueError("is a folder, not a file")
        if path.exists():
            writable = os.access(path, os.W_OK)
        else:  # the gateway creates it, and the folders above it
            ancestor = next(p for p in path.absolute().parents if p.exists())
            writable = ancestor.is_dir() and os.access(ancestor, os.W_OK | os.X_OK)
        if not writable:
            raise ValueError("is not a file the gateway may write")
        return path

    def values(self) -> str:
        return "path of a file"


@dataclass(frozen=True, slots=True)
class PublicKey(Kind[str]):
    """PEM text given inline, or the path of a PEM file; its text is the value."""

    def parse(self, text: str) -> str:
        from gateway.access.tokens import TokenKeys, TokenVerifier

        pem = text if text.startswith("-----BEGIN") else ExistingFile().parse(text).read_text()
        try:
            TokenVerifier(TokenKeys(public_key_pem=pem))
        except ValueError as exc:
            raise ValueError(f"does not load: {exc}") from None
        return pem

    def values(self) -> str:
        return "PEM text, or path of a PEM file"


@dataclass(frozen=True, slots=True)
class JwksFile(Kind[Mapping[str, Any]]):
    def parse(self, text: str) -> Mapping[str, Any]:
        from gateway.access.tokens import TokenKeys, TokenVerifier

        path = ExistingFile().parse(text)
        try:
            data = json.loads(path.read_text())
        except ValueError as exc:
            raise ValueError(f"is not JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise ValueError('is not a JWKS document ({"keys": [...]})')
        try:
            TokenVerifier(TokenKeys(jwks=data))
        except ValueError as exc:
            raise ValueError(f"does not load: {exc}") from None
        return MappingProxyType(data)

    def values(self) -> str:
        return "path of a JWKS (JSON) file"


@dataclass(frozen=True, slots=True)
class TrustedDocumentsFile(Kind[Path]):
    """The manifest, loaded once here so that a bad entry stops the start."""

    def parse(self, text: str) -> Path:
        from gateway.access.trusted import TrustedDocuments, TrustedDocumentsError

        path = ExistingFile().parse(text)
        try:
            TrustedDocuments.load(path)
        except TrustedDocumentsError as exc:
            raise ValueError(f"does not load: {_without(path, str(exc))}") from None
        return path

    def values(self) -> str:
        return "path of a JSON manifest"


@dataclass(frozen=True, slots=True)
class HttpUrl(Kind[str]):
    def parse(self, text: str) -> str:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("is not an http:// or https:// URL")
        return text

    def values(self) -> str:
        return "`http://` or `https://` URL"


@dataclass(frozen=True, slots=True)
class RedisUrl(Kind[str]):
    def parse(self, text: str) -> str:
        parts = urlsplit(text)
        if parts.scheme in ("redis", "rediss") and parts.netloc:
            return text
        if parts.scheme == "unix" and parts.path:
            return text
        raise ValueError("is not a redis://, rediss:// or unix:// URL")

    def values(self) -> str:
        return "`redis://`, `rediss://` or `unix://` URL"


@dataclass(frozen=True, slots=True)
class Origins(Kind[tuple[str, ...]]):
    """Comma-separated browser origins: a browser's `Origin` is scheme, host and port,
    so an entry with a path or a trailing slash would never match."""

    def parse(self, text: str) -> tuple[str, ...]:
        origins = tuple(o.strip() for o in text.split(",") if o.strip())
        for origin in origins:
            parts = urlsplit(origin)
            if origin != "*" and (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or origin != f"{parts.scheme}://{parts.netloc}"
            ):
                raise ValueError(
                    f"lists {origin!r}, which is not an origin such as https://intranet.example"
                    " (scheme, host and port only)"
                )
        return origins

    def values(self) -> str:
        return "comma-separated origins (`https://host[:port]`)"

    def show(self, value: tuple[str, ...]) -> str:
        return ", ".join(f"`{v}`" for v in value) or "none"


# -- declarations ---------------------------------------------------------------------------

_SETTING = "setting"


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """One environment variable: what it takes, what it means, how the docs show its
    default (`shown`: words instead of the value, e.g. "the main DSN")."""

    variable: str
    kind: Kind[T]
    meaning: str
    shown: str | None = None
    required: bool = False
    secret: bool = False  # never echoed in a message

    def read(self, env: Mapping[str, str], default: T) -> T:
        text = env.get(self.variable, "").strip()
        if not text:
            if self.required:
                raise SettingsError(f"{self.variable} is not set")
            return default
        try:
            return self.kind.parse(text)
        except ValueError as exc:
            reason = " ".join(str(exc).split())
            if self.secret:
                raise SettingsError(f"{self.variable} {reason}") from None
            raise SettingsError(f"{self.variable}={_echo(text)} {reason}") from None

    def default_text(self, default: T | None) -> str:
        if self.required:
            return "required"
        if self.shown is not None:
            return self.shown
        return "none" if default is None else self.kind.show(default)


def _echo(text: str) -> str:
    """The value in a message: numbers as they are, other text quoted and cut short."""
    if re.fullmatch(r"[+-]?[0-9]+", text):
        return text
    return repr(text if len(text) <= 80 else text[:60] + "...")


def setting(
    variable: str,
    default: Any,
    kind: Kind[Any],
    meaning: str,
    *,
    shown: str | None = None,
    secret: bool = False,
) -> Any:
    """A field read from `variable`, `default` when it is unset or empty."""
    return field(
        default=default,
        metadata={_SETTING: Setting(variable, kind, meaning, shown=shown, secret=secret)},
    )


def required(variable: str, kind: Kind[Any], meaning: str, *, secret: bool = False) -> Any:
    """A field read from `variable`, which must be set."""
    return field(
        metadata={_SETTING: Setting(variable, kind, meaning, required=True, secret=secret)}
    )


def per_role(suffix: str, kind: Kind[Any], meaning: str) -> dict[str, Setting[Any]]:
    """Field metadata of a limit read from `SMARTGATE_<ROLE>_<suffix>` for each role,
    defaulting to the role's `DEFAULT_ROLE_LIMITS`."""
    see = "per role, see [Query safety](clients.md#query-safety)"
    return {_SETTING: Setting(f"SMARTGATE_<ROLE>_{suffix}", kind, meaning, shown=see)}


def _declared(cls: type) -> Iterator[tuple[Field[Any], Setting[Any]]]:
    for f in fields(cls):
        if _SETTING in f.metadata:
            yield f, f.metadata[_SETTING]


def _read(cls: type, env: Mapping[str, str]) -> dict[str, Any]:
    return {f.name: declared.read(env, f.default) for f, declared in _declared(cls)}


# -- the settings -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoleLimits:
    """What one request of a role may cost: query cost, time, requests per minute, and
    aliases (None: `SMARTGATE_MAX_ALIASES`, the limit of roles without one of their own)."""

    cost: int = field(
        metadata=per_role("COST_LIMIT", WholeNumber(1, 10**12), "query cost per request")
    )
    time_budget_ms: int = field(
        metadata=per_role("TIME_BUDGET_MS", WholeNumber(100, 3_600_000), "time per request")
    )
    requests_per_minute: int = field(
        metadata=per_role(
            "RATE_PER_MINUTE", WholeNumber(1, 1_000_000), "requests per minute per caller"
        )
    )
    max_aliases: int | None = field(
        default=None,
        metadata=per_role(
            "MAX_ALIASES",
            WholeNumber(0, 10_000),
            "aliased fields per query (else `SMARTGATE_MAX_ALIASES`)",
        ),
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str], role: str) -> RoleLimits:
        default = DEFAULT_ROLE_LIMITS[role]
        return cls(
            **{
                f.name: replace(declared, variable=declared.variable.replace("<ROLE>", role)).read(
                    env, getattr(default, f.name)
                )
                for f, declared in _declared(cls)
            }
        )


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
    """Authentication, query limits and browser safety, and the execution engine: what
    `build_schema` reads."""

    production: bool = setting(
        "SMARTGATE_ENV",
        False,
        Choice({"development": False, "production": True}),
        "`production` turns off introspection, GraphiQL and field suggestions and masks"
        " crashes (see [Production mode](#production-mode))",
    )
    jwt_secret: str | None = setting(
        "SMARTGATE_JWT_SECRET",
        None,
        Text(),
        "HS256 secret for bearer tokens (development, small deployments)",
        secret=True,
    )
    jwt_public_key: str | None = setting(
        "SMARTGATE_JWT_PUBLIC_KEY", None, PublicKey(), "RS256/ES256 public key for bearer tokens"
    )
    jwks: Mapping[str, Any] | None = setting(
        "SMARTGATE_JWKS_FILE", None, JwksFile(), "RS256/ES256 keys for bearer tokens (by `kid`)"
    )
    jwt_issuer: str | None = setting(
        "SMARTGATE_JWT_ISSUER", None, Text(), "when set, tokens must carry this `iss`"
    )
    jwt_audience: str | None = setting(
        "SMARTGATE_JWT_AUDIENCE", None, Text(), "when set, tokens must carry this `aud`"
    )
    trusted_documents: Path | None = setting(
        "SMARTGATE_TRUSTED_DOCUMENTS",
        None,
        TrustedDocumentsFile(),
        "when set, only the operations it lists run (see [Production mode](#production-mode))",
    )
    cors_origins: tuple[str, ...] = setting(
        "SMARTGATE_CORS_ORIGINS", (), Origins(), "origins allowed to call from a browser"
    )
    max_depth: int = setting(
        "SMARTGATE_MAX_DEPTH", 12, WholeNumber(1, 100), "deepest field nesting of a query"
    )
    max_aliases: int = setting(
        "SMARTGATE_MAX_ALIASES",
        DEFAULT_MAX_ALIASES,
        WholeNumber(0, 10_000),
        "aliased fields per query, counting each fragment spread, for roles without a limit"
        " of their own",
    )
    max_selections: int = setting(
        "SMARTGATE_MAX_SELECTIONS",
        DEFAULT_MAX_SELECTIONS,
        WholeNumber(1, 1_000_000),
        "field selections per document, every operation and fragment in it, counting each"
        " fragment spread",
    )
    max_overlaps: int = setting(
        "SMARTGATE_MAX_OVERLAPS",
        DEFAULT_MAX_OVERLAPS,
        WholeNumber(0, 10**9),
        "how much a document's fields overlap: fields sharing a response name in one"
        " selection set (weighed by what is beneath them) and fragments spread side by side,"
        " which validation compares pair by pair",
    )
    max_tokens: int = setting(
        "SMARTGATE_MAX_TOKENS",
        5_000,
        WholeNumber(10, 1_000_000),
        "lexical tokens per document (checked while parsing)",
    )
    max_batch: int = setting(
        "SMARTGATE_MAX_BATCH", 10, WholeNumber(1, 1_000), "operations in one batched HTTP request"
    )
    max_body_bytes: int = setting(
        "SMARTGATE_MAX_BODY_BYTES", 256 * 1024, WholeNumber(1_024, 1 << 30), "request body size"
    )
    execution: str = setting(
        "SMARTGATE_EXECUTION",
        "planned",
        Choice.of("planned", "graphql-core"),
        "`planned`: queries run by plans made once per operation (`gateway.execution`);"
        " `graphql-core`: every operation by graphql-core's executor",
    )
    role_limits: Mapping[str, RoleLimits] = field(default_factory=lambda: DEFAULT_ROLE_LIMITS)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AccessSettings:
        return cls(
            **_read(cls, env),
            role_limits=MappingProxyType(
                {role: RoleLimits.from_env(env, role) for role in ROLE_NAMES}
            ),
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
    ekin_dsn: str = required("SMARTGATE_EKIN_DSN", Dsn(), "PostgreSQL DSN of e-kin", secret=True)
    sppspm_dsn: str = required(
        "SMARTGATE_SPPSPM_DSN", Dsn(), "PostgreSQL DSN of sppspm", secret=True
    )
    crosswalk: Path = required(
        "SMARTGATE_CROSSWALK",
        CrosswalkFile(),
        "the crosswalk of e-kin units to finance codes"
        " (see [The crosswalk](domain.md#the-crosswalk))",
    )
    host: str = setting("SMARTGATE_HOST", "127.0.0.1", Text(), "address to listen on")
    port: int = setting("SMARTGATE_PORT", 8000, WholeNumber(1, 65535), "port to listen on")
    pool_max_size: int = setting(
        "SMARTGATE_POOL_MAX_SIZE", 10, WholeNumber(1, 1000), "connections per source pool"
    )
    statement_timeout_ms: int = setting(
        "SMARTGATE_STATEMENT_TIMEOUT_MS",
        10_000,
        WholeNumber(1, 3_600_000),
        "PostgreSQL `statement_timeout` on the gateway's connections",
    )
    pool_acquire_timeout_ms: int = setting(
        "SMARTGATE_POOL_ACQUIRE_TIMEOUT_MS",
        2_000,
        WholeNumber(1, 600_000),
        "longest wait for a free pooled connection, and for opening one (see [When a source"
        " fails](#when-a-source-fails))",
    )
    ekin_analytics_dsn: str | None = setting(
        "SMARTGATE_EKIN_ANALYTICS_DSN",
        None,
        Dsn(),
        "where analysts' reads and whole-city reports of e-kin go, typically a read replica"
        " (see [Analytics pools](#analytics-pools))",
        shown="`SMARTGATE_EKIN_DSN`",
        secret=True,
    )
    sppspm_analytics_dsn: str | None = setting(
        "SMARTGATE_SPPSPM_ANALYTICS_DSN",
        None,
        Dsn(),
        "the same for sppspm",
        shown="`SMARTGATE_SPPSPM_DSN`",
        secret=True,
    )
    analytics_pool_max_size: int = setting(
        "SMARTGATE_ANALYTICS_POOL_MAX_SIZE",
        3,
        WholeNumber(1, 1000),
        "connections per analytics pool",
    )
    analytics_statement_timeout_ms: int = setting(
        "SMARTGATE_ANALYTICS_STATEMENT_TIMEOUT_MS",
        30_000,
        WholeNumber(1, 3_600_000),
        "`statement_timeout` on the analytics pools' connections",
    )
    analytics_queue_timeout_ms: int = setting(
        "SMARTGATE_ANALYTICS_QUEUE_TIMEOUT_MS",
        30_000,
        WholeNumber(1, 600_000),
        "longest wait for a free analytics connection (analytics statements queue rather"
        " than fail)",
    )
    breaker_failures: int = setting(
        "SMARTGATE_BREAKER_FAILURES",
        5,
        WholeNumber(1, 1_000),
        "consecutive failures of a source that open its circuit breaker",
    )
    breaker_cool_down_ms: int = setting(
        "SMARTGATE_BREAKER_COOL_DOWN_MS",
        10_000,
        WholeNumber(100, 3_600_000),
        "how long an open breaker refuses before it lets a probe through",
    )
    ready_requires_all_sources: bool = setting(
        "SMARTGATE_READY_REQUIRES_ALL_SOURCES",
        True,
        Boolean(),
        "`/readyz` needs every source up; `false`: one is enough (see [Health](#health))",
    )
    fiscal_year: int | None = setting(
        "SMARTGATE_FISCAL_YEAR",
        None,
        WholeNumber(2000, 2100),
        "fiscal year used when a query names none",
        shown="the current WIB year",
    )
    events_poll_ms: int = setting(
        "SMARTGATE_EVENTS_POLL_MS",
        1000,
        WholeNumber(50, 60_000),
        "milliseconds between two reads of a source's changes while someone subscribes",
    )
    calendar_refresh_s: int = setting(
        "SMARTGATE_CALENDAR_REFRESH_S",
        3600,
        WholeNumber(1, 86_400),
        "seconds after which the working-day calendar (`hari_libur`) is read again, in the"
        " background",
    )
    otlp_endpoint: str | None = setting(
        "SMARTGATE_OTLP_ENDPOINT",
        None,
        HttpUrl(),
        "OTLP/HTTP collector for traces, e.g. `http://127.0.0.1:4318/v1/traces`; tracing is"
        " off without it",
    )
    shutdown_grace_s: int = setting(
        "SMARTGATE_SHUTDOWN_GRACE_S",
        20,
        WholeNumber(0, 3600),
        "on SIGTERM, seconds requests in flight get to finish",
    )
    max_in_flight: int = setting(
        "SMARTGATE_MAX_IN_FLIGHT",
        64,
        WholeNumber(1, 100_000),
        "queries and mutations running at once; more wait (see [Overload](#overload))",
    )
    max_in_flight_cost: int = setting(
        "SMARTGATE_MAX_IN_FLIGHT_COST",
        500_000,
        WholeNumber(1, 10**12),
        "query cost of the operations running at once; more wait",
    )
    overload_queue_ms: int = setting(
        "SMARTGATE_OVERLOAD_QUEUE_MS",
        1_000,
        WholeNumber(0, 60_000),
        "longest wait for room to run; then the operation is refused with `OVERLOADED`",
    )
    workers: int = setting(
        "SMARTGATE_WORKERS",
        1,
        WholeNumber(1, 64),
        "gateway processes serving the port (`smartgate serve --workers N` overrides it; see"
        " [deploying.md](deploying.md))",
    )
    redis_url: str | None = setting(
        "SMARTGATE_REDIS_URL",
        None,
        RedisUrl(),
        "Redis for state shared by every gateway process: rate limits, change capture and"
        " the events kept for resuming subscribers (see [Shared state](#shared-state));"
        " without it each process keeps its own",
        shown="none: in-process",
        secret=True,
    )
    rate_limit_without_redis: str = setting(
        "SMARTGATE_RATE_LIMIT_WITHOUT_REDIS",
        "local",
        Choice.of("local", "refuse"),
        "when Redis does not answer: `local` counts each caller in this process alone until"
        " it is back; `refuse` refuses operations with `RATE_LIMIT_UNAVAILABLE`",
    )
    events_kept: int = setting(
        "SMARTGATE_EVENTS_KEPT",
        10_000,
        WholeNumber(100, 10_000_000),
        "events kept per source for subscribers that resume with `after`; an older `after`"
        " is refused with `EVENTS_EXPIRED`",
    )
    capture_lease_ms: int = setting(
        "SMARTGATE_CAPTURE_LEASE_MS",
        5_000,
        WholeNumber(500, 600_000),
        "with Redis, how long the change-capture lease of a source lasts unless renewed: a"
        " dead capturing process is replaced within this plus one poll interval",
    )
    graphiql: bool = setting(
        "SMARTGATE_GRAPHIQL", True, Boolean(), "serve GraphiQL to browsers on `/graphql`"
    )
    status_page: str = setting(
        "SMARTGATE_STATUS_PAGE",
        "public",
        Choice.of("public", "off"),
        "`public`: `/` shows anyone a status page; `off`: `/` answers 404",
    )
    log_level: str = setting(
        "SMARTGATE_LOG_LEVEL",
        "info",
        Choice.of("debug", "info", "warning", "error"),
        "the least severe log lines written (audit lines are always written)",
    )
    audit_log: Path | None = setting(
        "SMARTGATE_AUDIT_LOG",
        None,
        WritableFile(),
        "file for the audit log, one JSON object per line (see [Audit log](#audit-log))",
        shown="stderr",
    )
    access: AccessSettings = AccessSettings()

    def current_fiscal_year(self) -> int:
        """The fiscal year used when a query names none: the setting, else today's WIB year."""
        return self.fiscal_year or datetime.now(WIB).year

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(**_read(cls, env), access=AccessSettings.from_env(env))


# -- the docs' table ----------------------------------------------------------------------


def settings_table() -> str:
    """The Markdown table of every setting, as docs/operations.md holds it."""
    rows = ["| variable | default | values | meaning |", "|---|---|---|---|"]
    for cls in (Settings, AccessSettings, RoleLimits):
        for f, declared in _declared(cls):
            cells = (
                f"`{declared.variable}`",
                declared.default_text(None if f.default is MISSING else f.default),
                declared.kind.values(),
                declared.meaning,
            )
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    roles = ", ".join(f"`{role}`" for role in ROLE_NAMES)
    rows.append("")
    rows.append(f"`<ROLE>` is one of {roles}.")
    return "\n".join(rows) + "\n"
