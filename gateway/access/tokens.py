"""Bearer tokens: verify a JWT into a `Caller`, and mint HS256 tokens for development.

The algorithms a token may use follow from the key material configured, never from the token:
HS256 only with a shared secret, RS256 only with an RSA public key, ES256 only with an EC P-256
public key (from a PEM or a JWKS). A public key is never handed to an HMAC algorithm, so an
HS256 token "signed" with the public key's PEM is refused. All signature work is PyJWT's.

Every refusal is a `TokenRefused` whose `reason` tells the client developer what to fix.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from gateway.access.caller import Caller, Role

HS256 = "HS256"
RS256 = "RS256"
ES256 = "ES256"

MAX_TTL = timedelta(days=30)
VERIFIED_TOKENS_KEPT = 10_000
"""Accepted tokens a verifier remembers: a few MB at most, more callers than a city has
systems and officials signed in at once."""

_NIP_ROLES = (Role.STAFF, Role.FINANCE)
_VALID_ROLES = ", ".join(role.value for role in Role)
_DEPT_CODE = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_NIP = re.compile(r"[0-9]{18}")
_TTL = re.compile(r"\s*([0-9]+)\s*([smhd])\s*", re.IGNORECASE)
_TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class TokenRefused(Exception):
    """A token that cannot be accepted; `reason` is one sentence a client developer can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TokenKeys:
    """The key material and claim expectations a `TokenVerifier` checks tokens against."""

    secret: str | None = None  # HS256 shared secret
    public_key_pem: str | None = None  # PEM text of an RSA or EC public key (RS256 / ES256)
    jwks: dict[str, Any] | None = None  # a parsed JWKS document {"keys": [...]}
    issuer: str | None = None  # checked when set
    audience: str | None = None  # checked when set
    leeway_seconds: int = 30

    @property
    def configured(self) -> bool:
        """Whether any key is present, so that tokens can be verified at all."""
        return bool(self.secret or self.public_key_pem or self.jwks)


@dataclass(frozen=True, slots=True)
class _Key:
    algorithm: str
    key: str | _PublicKey


class TokenVerifier:
    """Verifies bearer tokens against one `TokenKeys` configuration.

    Raises `ValueError` at construction when the PEM or JWKS cannot serve RS256 or ES256.
    """

    def __init__(self, keys: TokenKeys, remembered: int = VERIFIED_TOKENS_KEPT) -> None:
        self._keys = keys
        self._secret = _Key(HS256, keys.secret) if keys.secret else None
        self._pem = _pem_key(keys.public_key_pem) if keys.public_key_pem else None
        self._jwks = _jwks_keys(keys.jwks) if keys.jwks else []
        self._accepted = _accepted_algorithms(self._secret, self._pem, self._jwks)
        self._remembered = remembered
        self._verified: OrderedDict[str, tuple[Caller, float]] = OrderedDict()

    def verify(self, token: str) -> Caller:
        """The caller `token` describes; raises `TokenRefused` with the reason otherwise.

        A token verified before is taken at its word until it expires (with the leeway),
        without checking its signature again: a client sends the same token with every
        request, and the check is a good part of a small request's cost. Only accepted
        tokens are kept (a refusal is worked out again each time), the least recently used
        leave first, and a kept token past its expiry is verified afresh, which refuses it.
        """
        kept = self._verified.get(token)
        if kept is not None and time.time() < kept[1]:
            self._verified.move_to_end(token)
            return kept[0]
        if not self._accepted:
            raise TokenRefused("this gateway has no token keys configured")
        header = _unverified_header(token)
        key = self._key_for(header)
        claims = self._decode(token, key)
        caller = _caller_from_claims(claims)
        if self._remembered:
            self._verified[token] = (caller, float(claims["exp"]) + self._keys.leeway_seconds)
            self._verified.move_to_end(token)
            if len(self._verified) > self._remembered:
                self._verified.popitem(last=False)
        return caller

    def _key_for(self, header: Mapping[str, Any]) -> _Key:
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or not algorithm:
            raise TokenRefused("token header has no alg; sign it with " + self._accepted_text())
        if algorithm.lower() == "none":
            raise TokenRefused(
                "alg none is not accepted; sign the token with " + self._accepted_text()
            )
        if algorithm not in self._accepted:
            raise TokenRefused(
                f"token is signed with {algorithm} but this gateway accepts {self._accepted_text()}"
            )
        if algorithm == HS256 and self._secret is not None:
            return self._secret
        return self._public_key_for(algorithm, header.get("kid"))

    def _public_key_for(self, algorithm: str, kid: str | None) -> _Key:
        if kid is not None:
            for found in (k for k_id, k in self._jwks if k_id == kid):
                if found.algorithm != algorithm:
                    raise TokenRefused(
                        f"key {kid!r} is for {found.algorithm} but the token is signed with "
                        f"{algorithm}"
                    )
                return found
        if self._pem is not None and self._pem.algorithm == algorithm:
            return self._pem
        if kid is not None:
            known = ", ".join(repr(k_id) for k_id, _ in self._jwks if k_id) or "none"
            raise TokenRefused(f"unknown kid {kid!r}; the gateway's JWKS has kids {known}")
        if len(self._jwks) == 1 and self._jwks[0][1].algorithm == algorithm:
            return self._jwks[0][1]
        raise TokenRefused(
            "token has no kid and the gateway's JWKS has more than one key; "
            "put the signing key's kid in the token header"
        )

    def _decode(self, token: str, key: _Key) -> dict[str, Any]:
        keys = self._keys
        required = ["exp", "sub"]
        required += ["iss"] if keys.issuer is not None else []
        required += ["aud"] if keys.audience is not None else []
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[key.algorithm],
                options={"require": required, "verify_aud": keys.audience is not None},
                audience=keys.audience,
                issuer=keys.issuer,
                leeway=keys.leeway_seconds,
            )
        except jwt.PyJWTError as error:
            raise TokenRefused(self._reason(token, error)) from error
        return claims

    def _reason(self, token: str, error: jwt.PyJWTError) -> str:
        keys = self._keys
        if isinstance(error, jwt.ExpiredSignatureError):
            return f"token expired at {_claim_time(token, 'exp')}"
        if isinstance(error, jwt.ImmatureSignatureError):
            if "iat" in str(error):
                return f"token is issued in the future ({_claim_time(token, 'iat')})"
            return f"token is not valid before {_claim_time(token, 'nbf')}"
        if isinstance(error, jwt.MissingRequiredClaimError):
            return f"token is missing the required {error.claim!r} claim"
        if isinstance(error, jwt.InvalidIssuerError):
            found = _unverified_claims(token).get("iss")
            return f"token issuer is {found!r} but this gateway expects {keys.issuer!r}"
        if isinstance(error, jwt.InvalidAudienceError):
            found = _unverified_claims(token).get("aud")
            return f"token audience is {found!r} but this gateway expects {keys.audience!r}"
        if isinstance(error, jwt.InvalidSignatureError):
            return "signature does not match"
        if isinstance(error, jwt.InvalidKeyError):
            return f"the gateway's key cannot verify this token: {error}"
        if isinstance(error, jwt.DecodeError) and "claim" not in str(error):
            return f"not a JWT: {error}"
        return f"token claims are invalid: {error}"

    def _accepted_text(self) -> str:
        return " or ".join(self._accepted)


def mint(
    secret: str,
    *,
    role: Role | str,
    sub: str,
    dept: str | None = None,
    ttl: timedelta = timedelta(hours=8),
    issuer: str | None = None,
    audience: str | None = None,
    now: datetime | None = None,
) -> str:
    """An HS256 token for one role that `TokenVerifier` accepts; `ValueError` when it would not.

    A naive `now` is taken as UTC. A NIP `sub` is written normalised (digits only).
    """
    if not secret:
        raise ValueError("a secret is needed to mint a token")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be more than zero")
    claims: dict[str, Any] = {"sub": sub, "roles": [str(role)]}
    if dept is not None:
        claims["dept"] = dept
    try:
        caller = _caller_from_claims(claims)
    except TokenRefused as refused:
        raise ValueError(refused.reason) from None
    issued = now or datetime.now(UTC)
    if issued.tzinfo is None:
        issued = issued.replace(tzinfo=UTC)
    claims["sub"] = caller.sub
    claims["iat"] = int(issued.timestamp())
    claims["exp"] = int((issued + ttl).timestamp())
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=HS256)


def parse_ttl(text: str) -> timedelta:
    """A token lifetime from "90s", "30m", "8h" or "2d": more than zero, at most 30 days."""
    match = _TTL.fullmatch(text)
    if match is None:
        raise ValueError(
            f"invalid ttl {text!r}: use a whole number followed by s, m, h or d, e.g. '8h' or '30m'"
        )
    seconds = int(match.group(1)) * _TTL_UNITS[match.group(2).lower()]
    if seconds <= 0:
        raise ValueError(f"invalid ttl {text!r}: it must be more than zero")
    if seconds > MAX_TTL.total_seconds():
        raise ValueError(f"invalid ttl {text!r}: it must be at most 30 days (30d)")
    return timedelta(seconds=seconds)


def _pem_key(pem: str) -> _Key:
    try:
        key = load_pem_public_key(pem.encode())
    except ValueError as error:
        raise ValueError(f"public_key_pem is not a PEM public key: {error}") from None
    if not isinstance(key, _PublicKey):
        raise ValueError("public_key_pem must be an RSA or EC P-256 public key")
    return _Key(_algorithm_of(key, "public_key_pem"), key)


def _jwks_keys(jwks: Mapping[str, Any]) -> list[tuple[str | None, _Key]]:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise ValueError('jwks must be a JWKS document with a "keys" list')
    try:
        keyset = jwt.PyJWKSet(keys)
    except jwt.PyJWTError as error:
        raise ValueError(f"jwks has no usable keys: {error}") from None
    usable: list[tuple[str | None, _Key]] = []
    for jwk in keyset:
        if jwk.public_key_use == "enc" or jwk.algorithm_name not in (RS256, ES256):
            continue
        key = jwk.key.public_key() if hasattr(jwk.key, "private_bytes") else jwk.key
        if isinstance(key, _PublicKey):
            name = f"jwks key {jwk.key_id!r}"
            usable.append((jwk.key_id, _Key(_algorithm_of(key, name), key)))
    if not usable:
        raise ValueError("jwks has no RS256 or ES256 (P-256) signing keys")
    return usable


def _algorithm_of(key: _PublicKey, name: str) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return RS256
    if isinstance(key.curve, ec.SECP256R1):
        return ES256
    raise ValueError(f"{name} is an EC key on {key.curve.name}; ES256 needs P-256")


def _accepted_algorithms(secret: _Key | None, pem: _Key | None, jwks: list[Any]) -> list[str]:
    present = {k.algorithm for k in (secret, pem) if k is not None}
    present |= {key.algorithm for _, key in jwks}
    return [algorithm for algorithm in (HS256, RS256, ES256) if algorithm in present]


def _unverified_header(token: str) -> dict[str, Any]:
    if not isinstance(token, str) or not token.strip():
        raise TokenRefused("not a JWT: the token is empty")
    try:
        return jwt.get_unverified_header(token)
    except jwt.DecodeError as error:
        raise TokenRefused(f"not a JWT: {error}") from None
    except jwt.PyJWTError as error:
        raise TokenRefused(f"token header is invalid: {error}") from None


def _unverified_claims(token: str) -> dict[str, Any]:
    """Claims read without checks, only to word a refusal PyJWT raised after the signature."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims


def _claim_time(token: str, claim: str) -> str:
    value: Any = _unverified_claims(token).get(claim)
    try:
        moment = datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return repr(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    """The caller verified `claims` describe; raises `TokenRefused` when they break the rules."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise TokenRefused("sub must be a non-empty string")
    roles = _roles(claims.get("roles"))
    department = _department(claims.get("dept"))
    if Role.DEPT_SYSTEM in roles and department is None:
        raise TokenRefused("DEPT_SYSTEM tokens must carry dept, the finance code they act for")
    nip = _normalised_nip(sub)
    people = [role.value for role in _NIP_ROLES if role in roles]
    if people and nip is None:
        raise TokenRefused(
            f"{' and '.join(people)} tokens must have an 18-digit NIP as sub, not {sub!r}"
        )
    expires = claims.get("exp")
    return Caller(
        sub=nip or sub,
        roles=roles,
        department=department,
        expires_at=float(expires) if isinstance(expires, int | float) else None,
    )


def _roles(value: Any) -> frozenset[Role]:
    names = [value] if isinstance(value, str) else value
    if names is None or names == []:
        raise TokenRefused(f"token carries no roles; the roles claim needs one of {_VALID_ROLES}")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise TokenRefused(f"roles must be a list of strings from {_VALID_ROLES}")
    roles: set[Role] = set()
    for name in names:
        try:
            roles.add(Role(name))
        except ValueError:
            raise TokenRefused(f"unknown role {name!r}; valid roles are {_VALID_ROLES}") from None
    return frozenset(roles)


def _department(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DEPT_CODE.fullmatch(value):
        raise TokenRefused(
            f"dept must be a finance code of digits and dots like '1.02.0.00.0.00.01.0000', "
            f"not {value!r}"
        )
    return value


def _normalised_nip(sub: str) -> str | None:
    digits = sub.replace(" ", "").replace(".", "")
    return digits if _NIP.fullmatch(digits) else None
