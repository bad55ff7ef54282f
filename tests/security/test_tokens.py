"""Signed JWTs: HS256 pinned, purpose checked, required claims, 30 s leeway."""

from __future__ import annotations

import base64
import itertools
import json
import time
import warnings
from typing import Any

import jwt
import pytest

from admin_app.security import keys, tokens
from admin_app.security.tokens import InvalidToken, TokenType

SECRET = "token-test-secret-" + "s" * 60  # 64+ bytes, enough for HS512 too
KEY = keys.derive(SECRET, "jwt")  # what tokens are really signed with


def _claims(**overrides: Any) -> dict[str, Any]:
    moment = int(time.time())
    claims: dict[str, Any] = {"sub": "42", "typ": "access", "iat": moment, "exp": moment + 60}
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_roundtrip_keeps_the_claims() -> None:
    token = tokens.issue(SECRET, typ=TokenType.ACCESS, sub="42", ttl=900, sid="abc")
    claims = tokens.verify(SECRET, token, typ=TokenType.ACCESS)
    assert claims["sub"] == "42"
    assert claims["typ"] == "access"
    assert claims["sid"] == "abc"
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 5


def test_header_names_hs256() -> None:
    token = tokens.issue(SECRET, typ=TokenType.SESSION, sub="1", ttl=60)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


@pytest.mark.parametrize(
    ("issued", "expected"),
    list(itertools.permutations(TokenType, 2)),
    ids=lambda t: t.value,
)
def test_a_token_of_another_purpose_is_refused(issued: TokenType, expected: TokenType) -> None:
    token = tokens.issue(SECRET, typ=issued, sub="42", ttl=60)
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, token, typ=expected)


def test_another_secret_is_refused() -> None:
    token = tokens.issue("another-secret-" + "o" * 40, typ=TokenType.ACCESS, sub="42", ttl=60)
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, token, typ=TokenType.ACCESS)


def test_a_tampered_payload_is_refused() -> None:
    token = tokens.issue(SECRET, typ=TokenType.ACCESS, sub="42", ttl=60)
    header, _, signature = token.split(".")
    forged = ".".join([header, _b64(_claims(sub="1")), signature])
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, forged, typ=TokenType.ACCESS)


def test_a_tampered_signature_is_refused() -> None:
    token = tokens.issue(SECRET, typ=TokenType.ACCESS, sub="42", ttl=60)
    head, _, signature = token.rpartition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, f"{head}.{flipped}", typ=TokenType.ACCESS)


def test_hs512_with_the_right_secret_is_refused() -> None:
    with warnings.catch_warnings():
        # HS512 would want a 64-byte key; the point is that it is refused at all.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        token = jwt.encode(_claims(), KEY, algorithm="HS512")
    # The same claims in HS256 pass, so only the algorithm is refused.
    tokens.verify(SECRET, jwt.encode(_claims(), KEY, algorithm="HS256"), typ=TokenType.ACCESS)
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, token, typ=TokenType.ACCESS)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_an_unsigned_token_is_refused(alg: str) -> None:
    unsigned = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(_claims())}."
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, unsigned, typ=TokenType.ACCESS)


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "typ"])
def test_each_required_claim_is_required(missing: str) -> None:
    token = jwt.encode(_claims(**{missing: None}), KEY, algorithm="HS256")
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, token, typ=TokenType.ACCESS)


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "a.b", "....."])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, garbage, typ=TokenType.ACCESS)


def test_expired_beyond_the_leeway_is_refused() -> None:
    moment = int(time.time())
    token = jwt.encode(_claims(iat=moment - 600, exp=moment - 35), KEY, algorithm="HS256")
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, token, typ=TokenType.ACCESS)


def test_expired_within_the_leeway_is_accepted() -> None:
    moment = int(time.time())
    token = jwt.encode(_claims(iat=moment - 600, exp=moment - 20), KEY, algorithm="HS256")
    assert tokens.verify(SECRET, token, typ=TokenType.ACCESS)["sub"] == "42"


def test_issue_with_a_past_expiry_gives_a_dead_token() -> None:
    token = tokens.issue(SECRET, typ=TokenType.ACCESS, sub="42", ttl=-(tokens.LEEWAY_SECONDS + 5))
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, token, typ=TokenType.ACCESS)


def test_a_token_issued_in_the_future_is_refused() -> None:
    moment = int(time.time())
    token = jwt.encode(_claims(iat=moment + 600, exp=moment + 1200), KEY, algorithm="HS256")
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, token, typ=TokenType.ACCESS)


def test_verify_follows_the_application_clock(travel) -> None:  # type: ignore[no-untyped-def]
    token = tokens.issue(SECRET, typ=TokenType.ACCESS, sub="42", ttl=60)
    travel(60 + tokens.LEEWAY_SECONDS + 1)
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, token, typ=TokenType.ACCESS)
    fresh = tokens.issue(SECRET, typ=TokenType.ACCESS, sub="42", ttl=60)
    assert tokens.verify(SECRET, fresh, typ=TokenType.ACCESS)["sub"] == "42"


def test_a_token_signed_with_jwt_secret_itself_is_refused() -> None:
    # Only the HKDF "jwt" key signs tokens; the root secret (and so any other
    # key's misuse) makes none.
    raw = jwt.encode(_claims(), SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        tokens.verify(SECRET, raw, typ=TokenType.ACCESS)
    issued = tokens.issue(SECRET, typ=TokenType.ACCESS, sub="42", ttl=60)
    assert jwt.decode(issued, KEY, algorithms=["HS256"])["sub"] == "42"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(issued, SECRET, algorithms=["HS256"])
