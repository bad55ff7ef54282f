"""Password hashing (argon2id) and the password policy of SPEC section 11."""

from __future__ import annotations

import gzip
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import ParamSpec, Protocol, TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from admin_app.errors import WeakPassword

MAX_LENGTH = 1024

P = ParamSpec("P")
T = TypeVar("T")


class Runner(Protocol):
    """Runs one argon2 call: `run(fn, *args)` returns `fn(*args)`, wherever it runs it."""

    def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...


def _inline(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    return fn(*args, **kwargs)


class Passwords:
    """argon2id with the configured cost; one instance per process."""

    def __init__(
        self, *, memory_kib: int, time_cost: int, parallelism: int, run: Runner = _inline
    ) -> None:
        # Where each hash and verify runs (the process's argon2 threads, see
        # services/accounts/hashing_pool.py); the calling thread waits for it.
        self._run = run
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Verified against when the account does not exist, so an unknown user
        # costs the same time as a wrong password and reveals nothing.
        self._dummy_hash = self._hasher.hash("dummy password for timing equality")

    def hash(self, password: str) -> str:
        return self._run(self._hasher.hash, normalise(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when `password` matches; always spends one argon2 verify."""
        try:
            return self._run(
                self._hasher.verify, stored_hash or self._dummy_hash, normalise(password)
            ) and (stored_hash is not None)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # The 10,000 most common passwords, most frequent first: the head of the
    # list Django ships (django/contrib/auth/common-passwords.txt.gz, BSD).
    data = resources.files(__package__).joinpath("common_passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def check_policy(password: str, *, min_length: int, username: str = "", email: str = "") -> None:
    """Raise WeakPassword with a human reason when `password` is refused."""
    value = normalise(password)
    if len(value) < min_length:
        raise WeakPassword(f"Use at least {min_length} characters.", field="password")
    if len(value) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.", field="password")
    lowered = value.casefold()
    if lowered in _common_passwords():
        raise WeakPassword("That password is too common; choose another.", field="password")
    personal = {username.casefold(), email.casefold(), email.split("@")[0].casefold()}
    if lowered in personal - {""}:
        raise WeakPassword(
            "The password must differ from your username and email.", field="password"
        )
