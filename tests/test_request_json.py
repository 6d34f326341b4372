"""The request body's JSON is read by orjson where it reads as json would, and by json
for the rest (gateway/request_params.py): whichever reads it, a client gets json's value
or json's refusal."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.request_params import MalformedRequest, decode_json, nests_deeper_than

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too, which orjson alone would read as floats
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # lone surrogates included, which orjson refuses and json reads
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def as_json_reads(raw: bytes) -> object:
    """What json alone makes of `raw`, NaN and Infinity refused as decode_json does."""

    def refuse(word: str) -> object:
        raise ValueError(word)

    return json.loads(raw, parse_constant=refuse)


@given(VALUES, st.booleans())
def test_a_body_reads_as_json_reads_it(value: object, ascii_only: bool) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert decode_json(raw, "the request body") == as_json_reads(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"18446744073709551616",  # 2**64: a float to orjson
        b"-9223372036854775809",
        b'{"v": 123456789012345678901234567890}',
        b'"\\ud800"',  # a lone surrogate: orjson refuses it
        b"\xef\xbb\xbf{}",  # a byte order mark: orjson refuses it
        b"1e400",  # infinity: orjson refuses it, json reads inf
        b'"\xe2\x82\xac"',
        b'{"a": 1, "a": 2}',
    ],
)
def test_what_orjson_would_read_differently_is_read_by_json(raw: bytes) -> None:
    got = decode_json(raw, "the request body")
    assert got == as_json_reads(raw) and type(got) is type(as_json_reads(raw))


@pytest.mark.parametrize("raw", [b"NaN", b'{"v": Infinity}', b"[-Infinity]", b"{", b"\xff"])
def test_what_json_refuses_is_refused(raw: bytes) -> None:
    with pytest.raises(MalformedRequest, match="the request body is not JSON"):
        decode_json(raw, "the request body")


def depth(value: object) -> int:
    """How deep arrays and objects nest in `value` (0 for a scalar)."""
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@given(VALUES, st.integers(min_value=0, max_value=8))
def test_the_depth_check_measures_nesting(value: object, levels: int) -> None:
    raw = json.dumps(value).encode("utf-8", "surrogatepass")
    assert nests_deeper_than(raw, levels) == (depth(value) > levels)
