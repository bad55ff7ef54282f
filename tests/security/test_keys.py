"""HKDF per purpose: RFC 5869's own test vector, and keys that differ by purpose."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from admin_app.security import keys


def test_matches_rfc_5869_case_1_shape() -> None:
    # RFC 5869 A.1: IKM 22 x 0x0b, salt 0x00..0x0c, info 0xf0..0xf9, L=42; our
    # expand is the same construction for one block, so its first 32 bytes agree.
    ikm = bytes([0x0B] * 22)
    salt = bytes(range(0x0D))
    info = bytes(range(0xF0, 0xFA))
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    assert prk.hex() == "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"
    okm = hmac.new(prk, info + b"\x01", hashlib.sha256).digest()
    assert okm.hex().startswith("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf")


def test_each_purpose_gets_its_own_key() -> None:
    derived = {purpose: keys.derive("s" * 40, purpose) for purpose in keys.PURPOSES}
    assert len(set(derived.values())) == len(keys.PURPOSES)
    assert all(len(key) == 32 for key in derived.values())
    assert keys.derive("s" * 40, "jwt") == derived["jwt"]
    assert keys.derive("t" * 40, "jwt") != derived["jwt"]
    assert b"s" * 40 not in derived.values()


def test_an_unknown_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="no key purpose"):
        keys.derive("s" * 40, "cookies")
