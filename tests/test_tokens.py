"""Token verification and minting: what the gateway accepts, and the reasons it gives otherwise."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from gateway.access.caller import Role
from gateway.access.tokens import TokenKeys, TokenRefused, TokenVerifier, mint, parse_ttl

SECRET = "a-development-secret-of-at-least-32-bytes"
OTHER_SECRET = "another-secret-that-is-also-32-bytes-long"
NIP = "198501012010011001"
DEPT = "1.02.0.00.0.00.01.0000"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj).encode())


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": NIP,
        "roles": ["STAFF"],
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(payload: dict[str, Any], secret: str = SECRET, **headers: Any) -> str:
    return jwt.encode(payload, secret, algorithm="HS256", headers=headers or None)


def verifier(**keys: Any) -> TokenVerifier:
    return TokenVerifier(TokenKeys(**{"secret": SECRET, **keys}))


def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(TokenRefused) as refused:
        verifier.verify(token)
    return refused.value.reason


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def public_jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid}


# --- accepted tokens ---------------------------------------------------------------------------


def test_minted_hs256_token_round_trips_to_the_caller_it_describes() -> None:
    token = mint(SECRET, role=Role.DEPT_SYSTEM, sub="sppspm-client", dept=DEPT)
    caller = verifier().verify(token)
    assert caller.sub == "sppspm-client"
    assert caller.roles == frozenset({Role.DEPT_SYSTEM})
    assert caller.department == DEPT


def test_minted_token_carries_issuer_audience_and_ttl() -> None:
    now = datetime.now(UTC)
    token = mint(
        SECRET, role="ANALYST", sub="ana", ttl=timedelta(minutes=5), issuer="iss", audience="aud"
    )
    payload = jwt.decode(token, SECRET, algorithms=["HS256"], audience="aud")
    assert payload["iss"] == "iss" and payload["aud"] == "aud"
    assert payload["exp"] - int(now.timestamp()) in range(299, 302)
    assert verifier(issuer="iss", audience="aud").verify(token).roles == {Role.ANALYST}


def test_mint_refuses_what_verify_would_refuse() -> None:
    with pytest.raises(ValueError, match="must carry dept"):
        mint(SECRET, role=Role.DEPT_SYSTEM, sub="client")
    with pytest.raises(ValueError, match="unknown role 'AUDITOR'"):
        mint(SECRET, role="AUDITOR", sub="x")
    with pytest.raises(ValueError, match="18-digit NIP"):
        mint(SECRET, role=Role.STAFF, sub="not-a-nip")


def test_a_single_role_string_is_accepted() -> None:
    caller = verifier().verify(hs256(claims(roles="FINANCE")))
    assert caller.roles == frozenset({Role.FINANCE})


def test_a_spaced_and_dotted_nip_sub_is_normalised_to_its_18_digits() -> None:
    caller = verifier().verify(hs256(claims(sub="19850101 201001.1 001")))
    assert caller.sub == NIP
    assert caller.nip == NIP


def test_rs256_token_is_accepted_with_the_rsa_public_key(rsa_key: rsa.RSAPrivateKey) -> None:
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    caller = TokenVerifier(TokenKeys(public_key_pem=public_pem(rsa_key))).verify(token)
    assert caller.sub == NIP


def test_es256_token_is_accepted_with_the_ec_public_key(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    token = jwt.encode(claims(roles=["ADMIN"], sub="admin"), ec_key, algorithm="ES256")
    caller = TokenVerifier(TokenKeys(public_key_pem=public_pem(ec_key))).verify(token)
    assert caller.roles == frozenset({Role.ADMIN})


def test_jwks_key_is_chosen_by_the_token_kid(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    jwks = {"keys": [public_jwk(rsa_key, "rsa-1"), public_jwk(ec_key, "ec-1")]}
    keys = TokenKeys(jwks=jwks)
    rs = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    es = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert TokenVerifier(keys).verify(rs).sub == NIP
    assert TokenVerifier(keys).verify(es).sub == NIP


def test_a_jwks_with_one_key_verifies_tokens_without_a_kid(rsa_key: rsa.RSAPrivateKey) -> None:
    keys = TokenKeys(jwks={"keys": [public_jwk(rsa_key, "only")]})
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert TokenVerifier(keys).verify(token).sub == NIP


def test_expiry_within_the_leeway_is_still_accepted() -> None:
    past = int(datetime.now(UTC).timestamp()) - 10
    assert verifier().verify(hs256(claims(exp=past))).sub == NIP


# --- refused tokens ----------------------------------------------------------------------------


def test_expired_token_is_refused_with_its_expiry_time() -> None:
    expired = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    token = hs256(claims(exp=int(expired.timestamp())))
    assert refusal(verifier(), token) == "token expired at 2024-01-02T03:04:05Z"


def test_token_not_yet_valid_beyond_the_leeway_is_refused_with_its_start_time() -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    token = hs256(claims(nbf=int(start.timestamp())))
    reason = refusal(verifier(), token)
    assert reason == f"token is not valid before {start.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def test_token_signed_with_another_secret_is_refused_as_a_signature_mismatch() -> None:
    token = hs256(claims(), secret=OTHER_SECRET)
    assert refusal(verifier(), token) == "signature does not match"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_alg_none_token_is_refused(alg: str) -> None:
    token = f"{segment({'alg': alg, 'typ': 'JWT'})}.{segment(claims())}."
    assert refusal(verifier(), token).startswith("alg none is not accepted")


def test_hs256_token_keyed_with_the_rsa_public_pem_is_refused(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    pem = public_pem(rsa_key)
    signing_input = f"{segment({'alg': 'HS256', 'typ': 'JWT'})}.{segment(claims())}"
    mac = hmac.new(pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url(mac)}"
    reason = refusal(TokenVerifier(TokenKeys(public_key_pem=pem)), token)
    assert reason == "token is signed with HS256 but this gateway accepts RS256"


def test_rs256_token_is_refused_when_only_a_secret_is_configured(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    token = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert refusal(verifier(), token) == "token is signed with RS256 but this gateway accepts HS256"


def test_unknown_kid_is_refused_naming_the_kid(rsa_key: rsa.RSAPrivateKey) -> None:
    keys = TokenKeys(jwks={"keys": [public_jwk(rsa_key, "rsa-1")]})
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "rotated-away"})
    assert "unknown kid 'rotated-away'" in refusal(TokenVerifier(keys), token)


def test_token_from_another_issuer_is_refused_naming_the_expected_issuer() -> None:
    token = hs256(claims(iss="someone-else"))
    reason = refusal(verifier(issuer="https://sso.semarangkota.go.id"), token)
    assert "'someone-else'" in reason and "expects 'https://sso.semarangkota.go.id'" in reason


def test_token_without_issuer_is_refused_when_an_issuer_is_configured() -> None:
    assert "'iss' claim" in refusal(verifier(issuer="sso"), hs256(claims()))


def test_token_for_another_audience_is_refused_naming_the_expected_audience() -> None:
    token = hs256(claims(aud="other-api"))
    assert "expects 'smartgate'" in refusal(verifier(audience="smartgate"), token)


def test_audience_is_not_checked_when_none_is_configured() -> None:
    assert verifier().verify(hs256(claims(aud="whatever"))).sub == NIP


@pytest.mark.parametrize("garbage", ["not-a-token", "a.b.c", "", "Bearer xyz"])
def test_garbage_is_refused_as_not_a_jwt(garbage: str) -> None:
    assert refusal(verifier(), garbage).startswith("not a JWT: ")


def test_token_without_sub_is_refused_naming_sub() -> None:
    assert "'sub' claim" in refusal(verifier(), hs256(claims(sub=None)))


def test_token_without_exp_is_refused_naming_exp() -> None:
    assert "'exp' claim" in refusal(verifier(), hs256(claims(exp=None)))


def test_unknown_role_is_refused_naming_it_and_the_valid_roles() -> None:
    reason = refusal(verifier(), hs256(claims(roles=["STAFF", "SUPERUSER"])))
    assert "unknown role 'SUPERUSER'" in reason
    assert "STAFF, DEPT_SYSTEM, FINANCE, ANALYST, ADMIN" in reason


@pytest.mark.parametrize("roles", [None, []])
def test_token_without_roles_is_refused(roles: list[str] | None) -> None:
    assert "no roles" in refusal(verifier(), hs256(claims(roles=roles)))


def test_dept_system_token_without_dept_is_refused() -> None:
    token = hs256(claims(sub="sppspm", roles=["DEPT_SYSTEM"]))
    assert "DEPT_SYSTEM tokens must carry dept" in refusal(verifier(), token)


def test_dept_that_is_not_a_finance_code_is_refused() -> None:
    token = hs256(claims(sub="sppspm", roles=["DEPT_SYSTEM"], dept="finance"))
    assert "dept must be a finance code" in refusal(verifier(), token)


@pytest.mark.parametrize("sub", ["staff-42", "19850101201001100", "1985010120100110011"])
def test_staff_token_whose_sub_is_not_an_18_digit_nip_is_refused(sub: str) -> None:
    assert "18-digit NIP" in refusal(verifier(), hs256(claims(sub=sub)))


def test_verifying_without_any_key_configured_is_refused() -> None:
    reason = refusal(TokenVerifier(TokenKeys()), hs256(claims()))
    assert reason == "this gateway has no token keys configured"
    assert not TokenKeys().configured
    assert TokenKeys(secret=SECRET).configured


# --- parse_ttl ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("8h", timedelta(hours=8)),
        ("2d", timedelta(days=2)),
        ("30d", timedelta(days=30)),
    ],
)
def test_parse_ttl_reads_seconds_minutes_hours_and_days(text: str, expected: timedelta) -> None:
    assert parse_ttl(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8", "whole number followed by s, m, h or d"),
        ("1.5h", "whole number followed by s, m, h or d"),
        ("8w", "whole number followed by s, m, h or d"),
        ("-1h", "whole number followed by s, m, h or d"),
        ("0s", "more than zero"),
        ("31d", "at most 30 days"),
        ("99999999999999999999d", "at most 30 days"),
    ],
)
def test_parse_ttl_refuses_other_text_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ttl(text)


# -- remembered tokens ----------------------------------------------------------------------


def test_an_accepted_token_is_remembered_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(TokenKeys(secret=SECRET, leeway_seconds=0))
    token = mint(SECRET, role="ADMIN", sub="ops", ttl=timedelta(seconds=2))
    decoded: list[str] = []
    decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda t, **kw: decoded.append(t) or decode(t, **kw))
    first = verifier.verify(token)
    assert verifier.verify(token) == first and decoded == [token]
    time.sleep(2.1)
    with pytest.raises(TokenRefused, match="token expired at"):
        verifier.verify(token)
    assert len(decoded) > 1  # verified afresh, not taken from memory


def test_a_refused_token_is_refused_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(TokenKeys(secret=SECRET))
    token = mint(OTHER_SECRET, role="ADMIN", sub="ops")
    for _ in range(2):
        with pytest.raises(TokenRefused, match="signature"):
            verifier.verify(token)


def test_the_tokens_remembered_are_bounded() -> None:
    verifier = TokenVerifier(TokenKeys(secret=SECRET), remembered=2)
    tokens = [mint(SECRET, role="ADMIN", sub=f"ops-{n}") for n in range(3)]
    for token in tokens:
        verifier.verify(token)
    assert list(verifier._verified) == tokens[1:]
