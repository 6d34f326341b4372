"""Settings: declared once, documented from the declaration, and any malformed value stops
`smartgate serve` with one line that names the variable."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.access.trusted import sha256
from gateway.settings import DEFAULT_ROLE_LIMITS, AccessSettings, Settings, SettingsError
from gateway.settings import settings_table as table

OPERATIONS = Path(__file__).parent.parent / "docs" / "operations.md"
BEGIN, END = "<!-- settings: begin", "<!-- settings: end -->"
HEADER = "fiscal_year,ekin_unit_id,finance_code\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text(HEADER + "2026,1,1.02.0.00.0.00.01.0000\n")
    return {
        "SMARTGATE_EKIN_DSN": "postgresql://gateway:s3cret@db.example:5432/ekin",
        "SMARTGATE_SPPSPM_DSN": "postgresql:///sppspm?host=/run/postgresql",
        "SMARTGATE_CROSSWALK": str(crosswalk),
    }


def ec_public_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


# -- the docs' table -------------------------------------------------------------------------


def test_the_settings_table_in_the_docs_is_the_one_the_declarations_render() -> None:
    text = OPERATIONS.read_text()
    assert BEGIN in text and END in text, f"{OPERATIONS} lost its settings markers"
    documented = text.split(BEGIN, 1)[1].split("\n", 1)[1].split(END, 1)[0]
    assert documented == table(), (
        "docs/operations.md's settings table differs from gateway/settings.py: paste the"
        " output of `.venv/bin/smartgate settings-table` between its markers"
    )


def test_every_setting_has_a_row_and_every_row_a_setting() -> None:
    rows = [line.split("`")[1] for line in table().splitlines() if line.startswith("| `")]
    assert len(rows) == len(set(rows))
    assert "SMARTGATE_STATUS_PAGE" in rows and "SMARTGATE_<ROLE>_COST_LIMIT" in rows


def test_smartgate_settings_table_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.cli import main

    assert main(["settings-table"]) == 0
    assert capsys.readouterr().out == table()


# -- values ----------------------------------------------------------------------------------


def test_unset_settings_keep_their_defaults(env: dict[str, str]) -> None:
    s = Settings.from_env(env)
    assert (s.host, s.port, s.pool_max_size, s.statement_timeout_ms) == (
        "127.0.0.1",
        8000,
        10,
        10_000,
    )
    assert (s.pool_acquire_timeout_ms, s.breaker_failures, s.breaker_cool_down_ms) == (
        2_000,
        5,
        10_000,
    )
    assert (s.ready_requires_all_sources, s.fiscal_year, s.graphiql, s.log_level) == (
        True,
        None,
        True,
        "info",
    )
    assert (s.audit_log, s.events_poll_ms, s.calendar_refresh_s, s.otlp_endpoint) == (
        None,
        1000,
        3600,
        None,
    )
    assert (s.shutdown_grace_s, s.ekin_analytics_dsn, s.sppspm_analytics_dsn) == (20, None, None)
    assert (s.analytics_pool_max_size, s.analytics_statement_timeout_ms) == (3, 30_000)
    assert (s.analytics_queue_timeout_ms, s.status_page) == (30_000, "public")
    a = s.access
    assert (a.production, a.jwt_secret, a.jwt_public_key, a.jwks) == (False, None, None, None)
    assert (a.jwt_issuer, a.jwt_audience, a.trusted_documents, a.cors_origins) == (
        None,
        None,
        None,
        (),
    )
    assert (a.max_depth, a.max_aliases, a.max_selections, a.max_overlaps) == (12, 30, 500, 5000)
    assert (a.max_tokens, a.max_batch, a.max_body_bytes) == (5_000, 10, 256 * 1024)
    assert dict(a.role_limits) == dict(DEFAULT_ROLE_LIMITS)
    assert Settings.from_env(env) == Settings(
        ekin_dsn=env["SMARTGATE_EKIN_DSN"],
        sppspm_dsn=env["SMARTGATE_SPPSPM_DSN"],
        crosswalk=Path(env["SMARTGATE_CROSSWALK"]),
    ), "the declared defaults are the fields' defaults"


def test_set_values_are_parsed_into_their_types(env: dict[str, str], tmp_path: Path) -> None:
    pem = ec_public_pem()
    (tmp_path / "key.pem").write_text(pem)
    s = Settings.from_env(
        {
            **env,
            "SMARTGATE_PORT": " 9000 ",
            "SMARTGATE_GRAPHIQL": "off",
            "SMARTGATE_STATUS_PAGE": "OFF",
            "SMARTGATE_ENV": "production",
            "SMARTGATE_JWT_PUBLIC_KEY": str(tmp_path / "key.pem"),
            "SMARTGATE_CORS_ORIGINS": "https://a.example, http://localhost:5173",
            "SMARTGATE_FINANCE_RATE_PER_MINUTE": "42",
            "SMARTGATE_AUDIT_LOG": str(tmp_path / "logs" / "audit.jsonl"),
        }
    )
    assert (s.port, s.graphiql, s.status_page, s.access.production) == (9000, False, "off", True)
    assert s.access.jwt_public_key == pem
    assert s.access.cors_origins == ("https://a.example", "http://localhost:5173")
    assert s.access.role_limits["FINANCE"].requests_per_minute == 42
    assert s.access.role_limits["STAFF"] == DEFAULT_ROLE_LIMITS["STAFF"]
    assert s.audit_log == tmp_path / "logs" / "audit.jsonl"


# -- malformed values ------------------------------------------------------------------------


def malformed(tmp_path: Path) -> list[tuple[str, str, str]]:
    """(variable, value, the message's expected end) for every kind of malformed value."""
    crosswalk = tmp_path / "bad-crosswalk.csv"
    crosswalk.write_text(HEADER + "2026,one,1.02.0.00.0.00.01.0000\n")
    pem = tmp_path / "garbage.pem"
    pem.write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    private = tmp_path / "hs.jwks"
    private.write_text(json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}))
    not_json = tmp_path / "keys.json"
    not_json.write_text("{keys: [")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({sha256("{ a }"): "{ b }"}))
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    return [
        ("SMARTGATE_PORT", "eighty", "='eighty' is not a whole number"),
        ("SMARTGATE_PORT", "70000", "=70000 is out of range 1..65535"),
        ("SMARTGATE_STAFF_COST_LIMIT", "0", "=0 is out of range 1..1000000000000"),
        ("SMARTGATE_GRAPHIQL", "maybe", "='maybe' is not a boolean (true or false)"),
        ("SMARTGATE_LOG_LEVEL", "loud", "='loud' is not one of debug, info, warning, error"),
        ("SMARTGATE_STATUS_PAGE", "private", "='private' is not one of public, off"),
        ("SMARTGATE_ENV", "prod", "='prod' is not one of development, production"),
        (
            "SMARTGATE_EKIN_DSN",
            "mysql://db/ekin",
            ' is not a DSN asyncpg can use: invalid DSN: scheme is expected to be either "postgresql" or "postgres", got \'mysql\'',
        ),
        (
            "SMARTGATE_EKIN_DSN",
            "postgresql://u:pw@db:54x2/ekin",
            " is not a DSN asyncpg can use: invalid literal for int() with base 10: '54x2'",
        ),
        (
            "SMARTGATE_SPPSPM_DSN",
            "postgresql://db/sppspm?sslmode=maybe",
            " is not a DSN asyncpg can use: `sslmode` parameter must be one of: disable, allow, prefer, require, verify-ca, verify-full",
        ),
        (
            "SMARTGATE_SPPSPM_ANALYTICS_DSN",
            "postgresql://db:99999/sppspm",
            " is not a DSN asyncpg can use: port 99999 is not 1..65535",
        ),
        (
            "SMARTGATE_CROSSWALK",
            str(tmp_path / "missing.csv"),
            f"='{tmp_path / 'missing.csv'}' is not a readable file",
        ),
        (
            "SMARTGATE_CROSSWALK",
            str(crosswalk),
            f"='{crosswalk}' is not a usable crosswalk: line 2: ekin_unit_id 'one' is not a number",
        ),
        (
            "SMARTGATE_JWT_PUBLIC_KEY",
            str(pem),
            f"='{pem}' does not load: public_key_pem is not a PEM public key:",
        ),
        ("SMARTGATE_JWT_PUBLIC_KEY", str(tmp_path / "missing.pem"), "is not a readable file"),
        (
            "SMARTGATE_JWKS_FILE",
            str(not_json),
            f"='{not_json}' is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (
            "SMARTGATE_JWKS_FILE",
            str(private),
            f"='{private}' does not load: jwks has no RS256 or ES256 (P-256) signing keys",
        ),
        (
            "SMARTGATE_TRUSTED_DOCUMENTS",
            str(manifest),
            f"='{manifest}' does not load: {sha256('{ a }')} is not the SHA-256 of its document",
        ),
        ("SMARTGATE_TRUSTED_DOCUMENTS", str(tmp_path), "is not a readable file"),
        (
            "SMARTGATE_OTLP_ENDPOINT",
            "localhost:4318",
            "='localhost:4318' is not an http:// or https:// URL",
        ),
        (
            "SMARTGATE_CORS_ORIGINS",
            "https://a.example/",
            "lists 'https://a.example/', which is not an origin such as https://intranet.example (scheme, host and port only)",
        ),
        ("SMARTGATE_AUDIT_LOG", str(a_file / "audit.jsonl"), "is not a file the gateway may write"),
        ("SMARTGATE_AUDIT_LOG", str(tmp_path), "is a folder, not a file"),
    ]


def test_every_kind_of_malformed_value_is_one_line_naming_the_variable(
    env: dict[str, str], tmp_path: Path
) -> None:
    cases = malformed(tmp_path)
    for variable, value, expected in cases:
        with pytest.raises(SettingsError) as raised:
            Settings.from_env({**env, variable: value})
        message = str(raised.value)
        assert message.startswith(variable) and expected in message, (variable, value, message)
        assert "\n" not in message
    kinds = {variable for variable, _, _ in cases}
    assert len(kinds) >= 15


def test_missing_required_settings_are_named(env: dict[str, str]) -> None:
    for variable in ("SMARTGATE_EKIN_DSN", "SMARTGATE_SPPSPM_DSN", "SMARTGATE_CROSSWALK"):
        with pytest.raises(SettingsError, match=f"^{variable} is not set$"):
            Settings.from_env({**env, variable: " "})


def test_secrets_are_not_repeated_in_messages(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({**env, "SMARTGATE_EKIN_DSN": "postgresql://u:hunter2@db/ekin?x"})
    assert "hunter2" not in str(raised.value)
    assert str(raised.value) == (
        "SMARTGATE_EKIN_DSN is not a DSN asyncpg can use: bad query field: 'x'"
    )


def test_access_settings_alone_are_read_for_smartgate_token() -> None:
    with pytest.raises(SettingsError, match="^SMARTGATE_ANALYST_MAX_ALIASES=-1 is out of range"):
        AccessSettings.from_env({"SMARTGATE_ANALYST_MAX_ALIASES": "-1"})


# -- through `smartgate serve` ---------------------------------------------------------------


async def test_smartgate_serve_stops_on_a_malformed_setting_with_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    chosen = (
        "not a whole number",
        "invalid literal",
        "is not a readable file",
        "is not a usable crosswalk",
        "is not JSON",
        "is not the SHA-256 of its document",
    )
    cases = [c for c in malformed(tmp_path) if c[0] != "SMARTGATE_JWT_PUBLIC_KEY"]
    cases = [next(c for c in cases if words in c[2]) for words in chosen]
    base = {k: v for k, v in os.environ.items() if not k.startswith("SMARTGATE_")}

    async def serve(variable: str, value: str) -> tuple[int | None, bytes, bytes]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway.cli",
            "serve",
            env={**base, **env, variable: value},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        return process.returncode, out, err

    results = await asyncio.gather(*(serve(variable, value) for variable, value, _ in cases))
    for (variable, _, expected), (code, out, err) in zip(cases, results, strict=True):
        lines = err.decode().splitlines()
        assert code == 2 and out == b"", (variable, code, out)
        assert len(lines) == 1, (variable, lines)
        assert lines[0].startswith(f"smartgate: {variable}") and expected in lines[0], lines
