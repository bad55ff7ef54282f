"""Sign-in throttling: per identifier (known or not) and per address, kept in the database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.api.errors import status_of
from admin_app.errors import InvalidCredentials, RateLimited
from admin_app.models import User
from admin_app.services.limits import throttle
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import password_stage, stages
from admin_app.settings import Settings
from tests.conftest import CTX, PASSWORD

# On SQLite and PostgreSQL (see tests/conftest.py): the budgets are dialect-specific upserts,
# raced by parallel failures.
pytestmark = pytest.mark.both_databases

MakeUser = Callable[..., User]
Travel = Callable[[float], None]


def _fail(db: Session, settings: Settings, identifier: str, ip: str = "") -> None:
    throttle.record_failure(db, settings=settings, identifier=identifier, ip=ip)
    db.commit()


def _wait(db: Session, settings: Settings, identifier: str | None, ip: str = "") -> int:
    """Seconds the identifier (or address) must wait; 0 when it may try now."""
    try:
        throttle.check(db, settings=settings, identifier=identifier, ip=ip)
    except RateLimited as limited:
        assert status_of(limited) == 429
        assert limited.code == "too_many_attempts"
        return limited.retry_after
    return 0


def _failures(engine: Engine, key: str) -> int | None:
    table = throttle.table
    with engine.connect() as conn:
        return conn.execute(sa.select(table.c.failures).where(table.c.key == key)).scalar()


def test_the_lock_doubles_from_a_minute_up_to_fifteen() -> None:
    assert [throttle.lock_seconds(n) for n in range(1, 12)] == [
        0, 0, 0, 0, 60, 120, 240, 480, 900, 900, 900,
    ]  # fmt: skip


def test_five_failures_then_a_wait_that_doubles(
    db: Session, settings: Settings, travel: Travel
) -> None:
    for _ in range(4):
        _fail(db, settings, "ada")
    assert _wait(db, settings, "ada") == 0
    _fail(db, settings, "ada")
    assert _wait(db, settings, "ada") == 60
    travel(30)
    assert _wait(db, settings, "ada") == 30

    waits = []
    for expected in [120, 240, 480, 900, 900]:
        travel(_wait(db, settings, "ada") + 1)
        assert _wait(db, settings, "ada") == 0
        _fail(db, settings, "ada")
        waits.append(_wait(db, settings, "ada"))
        assert waits[-1] == expected, waits
    # Someone else is not held back.
    assert _wait(db, settings, "bob") == 0


def test_the_identifier_is_normalised(db: Session, settings: Settings) -> None:
    for identifier in ["Ada", " ada", "ADA ", "ada", "aDa"]:
        _fail(db, settings, identifier)
    assert _wait(db, settings, "ada") == 60
    assert throttle.identifier_key(settings, " ADA ") == throttle.identifier_key(settings, "ada")
    # The table never holds the identifier itself.
    assert "ada" not in throttle.identifier_key(settings, "ada")


def test_a_success_starts_over(db: Session, settings: Settings, travel: Travel) -> None:
    for _ in range(4):
        _fail(db, settings, "ada")
    throttle.record_success(db, settings=settings, identifier="ADA")
    db.commit()
    for _ in range(4):
        _fail(db, settings, "ada")
    assert _wait(db, settings, "ada") == 0

    _fail(db, settings, "ada")
    assert _wait(db, settings, "ada") == 60
    throttle.record_success(db, settings=settings, identifier="ada")
    db.commit()
    assert _wait(db, settings, "ada") == 0
    _fail(db, settings, "ada")
    assert _wait(db, settings, "ada") == 0


def test_twelve_hours_of_quiet_start_over(
    db: Session, engine: Engine, settings: Settings, travel: Travel
) -> None:
    for _ in range(7):
        travel(_wait(db, settings, "ada") + 1)
        _fail(db, settings, "ada")
    assert _wait(db, settings, "ada") == 240
    travel(11 * 3600)
    _fail(db, settings, "ada")  # not yet quiet enough: the eighth failure
    assert _wait(db, settings, "ada") == 480

    travel(12 * 3600 + 1)
    _fail(db, settings, "ada")
    assert _failures(engine, throttle.identifier_key(settings, "ada")) == 1
    assert _wait(db, settings, "ada") == 0


def test_ten_failures_a_minute_block_an_address(
    db: Session, settings: Settings, travel: Travel
) -> None:
    for n in range(9):
        _fail(db, settings, f"user{n}", ip="198.51.100.1")
    assert _wait(db, settings, "fresh", ip="198.51.100.1") == 0
    _fail(db, settings, "user9", ip="198.51.100.1")
    assert 55 <= _wait(db, settings, "fresh", ip="198.51.100.1") <= 60
    assert _wait(db, settings, None, ip="198.51.100.1") > 0
    assert _wait(db, settings, "fresh", ip="198.51.100.2") == 0

    travel(61)
    assert _wait(db, settings, "fresh", ip="198.51.100.1") == 0
    # A new window: one failure does not block again.
    _fail(db, settings, "user10", ip="198.51.100.1")
    assert _wait(db, settings, "fresh", ip="198.51.100.1") == 0


def test_failures_spread_over_minutes_do_not_block_an_address(
    db: Session, settings: Settings, travel: Travel
) -> None:
    for n in range(15):
        _fail(db, settings, f"user{n}", ip="198.51.100.1")
        travel(7)
    assert _wait(db, settings, None, ip="198.51.100.1") == 0


def test_known_and_unknown_identifiers_are_counted_alike(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user(username="ada", email="ada@example.com")
    keys = {
        "ada": throttle.account_key(ada.id or 0),
        "nobody": throttle.identifier_key(settings, "nobody"),
    }
    for n in range(5):
        for identifier in ["ada", "nobody"]:
            ctx = RequestContext(ip=f"192.0.2.{n}", user_agent="pytest")
            with pytest.raises(InvalidCredentials):
                password_stage.check_password(
                    db, settings=settings, identifier=identifier, password="wrong" * 3, ctx=ctx
                )
            db.rollback()
    assert _failures(engine, keys["ada"]) == 5
    assert _failures(engine, keys["nobody"]) == 5
    assert _wait(db, settings, "nobody") == 60
    with pytest.raises(RateLimited):
        throttle.check(db, settings=settings, identifier="ada", ip="", user_id=ada.id)

    # Now even the right password is refused before it is checked.
    for identifier in ["ada", "nobody"]:
        with pytest.raises(RateLimited) as limited:
            stages.begin(db, settings=settings, identifier=identifier, password=PASSWORD, ctx=CTX)
        assert limited.value.retry_after == 60
        db.rollback()


def test_twenty_parallel_wrong_passwords_are_refused_as_serial_ones(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    ada = make_user(username="ada", email="ada@example.com")
    start = threading.Barrier(20)

    def attempt(_: int) -> str:
        with Session(engine, expire_on_commit=False) as own:
            start.wait()
            try:
                password_stage.check_password(
                    own, settings=settings, identifier="ada", password="wrong" * 3, ctx=CTX
                )
            except (InvalidCredentials, RateLimited) as exc:
                own.rollback()
                return exc.code
            return "signed in"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = sorted(pool.map(attempt, range(20)))

    # Taken before the check: 5 are checked, as 5 serial ones would be; 15 wait.
    assert outcomes == ["invalid_credentials"] * 5 + ["too_many_attempts"] * 15
    assert _failures(engine, throttle.account_key(ada.id or 0)) == 5
    assert _failures(engine, throttle.address_key(CTX.ip)) == 5


@pytest.mark.parametrize("failures", [5, 9])
def test_a_right_password_after_the_wait_leaves_no_wait_for_the_code(
    db: Session, settings: Settings, make_user: Callable[..., User], travel: Travel, failures: int
) -> None:
    """password+otp: the right password gives its attempt back, and the wait it set with it."""
    user = make_user(username="ada")
    for _ in range(failures):
        throttle.record_failure(db, settings=settings, identifier="ada", ip="", user_id=user.id)
    db.commit()
    travel(throttle.lock_seconds(failures) + 1)
    taken = throttle.take(db, settings=settings, identifier="ada", user_id=user.id, ip="")
    throttle.give_back(db, taken)  # the password was right; a code is still to come
    db.commit()
    # The code step takes from the same account budget: it must be let in.
    code_try = throttle.take(
        db, settings=settings, identifier="ada", user_id=user.id, ip="", hard=False
    )
    throttle.succeeded(db, code_try)
    db.commit()
