"""One-time email codes: format, storage, tries, expiry, single use, resend caps, races."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.api.errors import status_of
from admin_app.errors import (
    CodeExpired,
    CodeUsedUp,
    DomainError,
    RateLimited,
    UnknownCodeSession,
    WrongCode,
)
from admin_app.models import User
from admin_app.security import codes as primitives
from admin_app.security.keys import derive
from admin_app.services.email_codes import code_store
from admin_app.settings import Settings

# On SQLite and PostgreSQL (see tests/conftest.py): racing verifications, counters that outlive a
# rollback, capped resends (budget upserts).
pytestmark = pytest.mark.both_databases

MakeUser = Callable[..., User]
Travel = Callable[[float], None]


def _issue(
    db: Session, settings: Settings, user: User, purpose: str = "signin"
) -> code_store.Issued:
    issued = code_store.issue(
        db,
        settings=settings,
        purpose=purpose,
        email=user.email,
        user_id=user.id,
        payload={"identifier": user.username},
    )
    db.commit()
    return issued


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _raw_row(engine: Engine, code_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(code_store.table).where(code_store.table.c.id == code_id)
        ).one()
    return dict(row._mapping)


def test_codes_are_six_digits_with_leading_zeros_kept() -> None:
    drawn = [primitives.new_code() for _ in range(2000)]
    assert all(re.fullmatch(r"\d{6}", code) for code in drawn)
    assert any(code.startswith("0") for code in drawn)  # 1 - 0.9**2000: never flaky
    assert len(set(drawn)) > 1900


def test_the_code_is_stored_only_as_an_hmac_bound_to_its_attempt(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user()
    assert user.id is not None
    issued = _issue(db, settings, user)
    assert re.fullmatch(r"\d{6}", issued.code)

    row = _raw_row(engine, issued.row.id)
    assert all(issued.code not in str(value) for value in row.values())
    assert re.fullmatch(r"[0-9a-f]{64}", str(row["code_hmac"]))
    # Keyed with the code's own key, derived from JWT_SECRET, never the secret itself.
    assert row["code_hmac"] != primitives.code_hmac(
        settings.jwt_secret,
        code_id=issued.row.id,
        purpose="signin",
        subject=f"user:{user.id}",
        code=issued.code,
    )
    assert row["code_hmac"] == primitives.code_hmac(
        derive(settings.jwt_secret, "code-hmac"),
        code_id=issued.row.id,
        purpose="signin",
        subject=f"user:{user.id}",
        code=issued.code,
    )
    # The same code for another attempt, purpose or user hashes differently.
    for code_id, purpose, subject in [
        ("other-id", "signin", f"user:{user.id}"),
        (issued.row.id, "mfa", f"user:{user.id}"),
        (issued.row.id, "signin", f"user:{user.id + 1}"),
    ]:
        assert row["code_hmac"] != primitives.code_hmac(
            derive(settings.jwt_secret, "code-hmac"),
            code_id=code_id,
            purpose=purpose,
            subject=subject,
            code=issued.code,
        )


def test_the_right_code_is_accepted_once(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user()
    issued = _issue(db, settings, user)
    row = code_store.verify(db, settings=settings, code_id=issued.row.id, code=f" {issued.code} ")
    db.commit()
    assert (row.id, row.user_id, row.purpose) == (issued.row.id, user.id, "signin")
    assert code_store.payload_of(row) == {"identifier": user.username}
    assert _raw_row(engine, issued.row.id)["consumed_at"] is not None

    # The next request (its own session) finds the sign-in over.
    with Session(engine) as later:
        with pytest.raises(UnknownCodeSession):
            code_store.verify(later, settings=settings, code_id=issued.row.id, code=issued.code)
        with pytest.raises(UnknownCodeSession):
            code_store.pending(later, issued.row.id)


def test_wrong_codes_count_down_and_then_even_the_right_one_fails(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    issued = _issue(db, settings, make_user())
    left = []
    for attempt in [_wrong(issued.code), "12345", "abcdef", "", _wrong(_wrong(issued.code))]:
        with pytest.raises(WrongCode) as wrong:
            code_store.verify(db, settings=settings, code_id=issued.row.id, code=attempt)
        assert wrong.value.code == "incorrect_code"
        assert wrong.value.field == "code"
        left.append((wrong.value.tries_left, str(wrong.value)))
    assert [tries for tries, _ in left] == [4, 3, 2, 1, 0]
    assert left[0][1] == "That code is not right. 4 tries left."
    assert left[3][1] == "That code is not right. 1 try left."

    with pytest.raises(CodeUsedUp):
        code_store.verify(db, settings=settings, code_id=issued.row.id, code=issued.code)


def test_an_expired_code_fails(
    db: Session,
    settings: Settings,
    make_settings: Callable[..., Settings],
    make_user: MakeUser,
    travel: Travel,
) -> None:
    user = make_user()
    early = _issue(db, settings, user)
    travel(settings.otp_ttl - 5)
    assert code_store.verify(db, settings=settings, code_id=early.row.id, code=early.code)
    db.commit()

    late = _issue(db, settings, make_user())
    travel(settings.otp_ttl + 1)
    with pytest.raises(CodeExpired):
        code_store.verify(db, settings=settings, code_id=late.row.id, code=late.code)

    short = make_settings(OTP_TTL_SECONDS=120)
    brief = _issue(db, short, make_user())
    travel(121)
    with pytest.raises(CodeExpired):
        code_store.verify(db, settings=short, code_id=brief.row.id, code=brief.code)


def test_unknown_and_absurd_code_sessions_are_refused(db: Session, settings: Settings) -> None:
    for code_id in ["no-such-id", "", "x" * 65]:
        with pytest.raises(UnknownCodeSession):
            code_store.verify(db, settings=settings, code_id=code_id, code="123456")
        with pytest.raises(UnknownCodeSession):
            code_store.pending(db, code_id)


def test_a_resend_waits_for_the_cooldown_but_a_new_flow_does_not(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    user = make_user(email="ada@example.com")
    first = _issue(db, settings, user)
    travel(20)
    with pytest.raises(RateLimited) as limited:
        code_store.reissue(db, settings=settings, code_id=first.row.id)
    assert status_of(limited.value) == 429
    assert limited.value.retry_after == 40
    db.rollback()
    # A new sign-in (say, right after a sign-up) is not a resend: the hourly cap
    # still counts it, the minute's cooldown does not apply.
    assert code_store.issue(
        db, settings=settings, purpose="signin", email="ADA@example.com", user_id=None
    )

    travel(61)  # the cooldown counts from the newest code sent to the address
    assert code_store.reissue(db, settings=settings, code_id=first.row.id)


def test_resend_gives_a_new_code_and_kills_the_old_one(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    first = _issue(db, settings, make_user())
    with pytest.raises(RateLimited):
        code_store.reissue(db, settings=settings, code_id=first.row.id)
    db.rollback()

    travel(code_store.RESEND_COOLDOWN_SECONDS + 1)
    second = code_store.reissue(db, settings=settings, code_id=first.row.id)
    db.commit()
    assert second.row.id != first.row.id
    assert (second.row.purpose, second.row.user_id) == (first.row.purpose, first.row.user_id)
    assert code_store.payload_of(second.row) == code_store.payload_of(first.row)
    with pytest.raises(UnknownCodeSession):
        code_store.verify(db, settings=settings, code_id=first.row.id, code=first.code)
    assert code_store.verify(db, settings=settings, code_id=second.row.id, code=second.code)


def test_at_most_five_codes_an_hour_per_address(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    user = make_user(email="ada@example.com")
    # "mfa": sign-in codes are shared while live, so they would not count.
    for n in range(code_store.MAX_CODES_PER_HOUR):
        address = user.email if n % 2 else user.email.upper()
        code_store.issue(db, settings=settings, purpose="mfa", email=address, user_id=user.id)
        db.commit()
        travel(61)
    with pytest.raises(RateLimited) as limited:
        code_store.issue(db, settings=settings, purpose="mfa", email=user.email, user_id=user.id)
    db.rollback()
    assert limited.value.retry_after == 3600 - 5 * 61
    # Another address is not held back.
    assert code_store.issue(
        db, settings=settings, purpose="signup", email="bob@example.com", user_id=None
    )
    db.rollback()

    travel(3600 - 5 * 61 + 1)
    assert code_store.issue(db, settings=settings, purpose="mfa", email=user.email, user_id=user.id)


def test_the_try_counter_survives_the_callers_rollback(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    issued = _issue(db, settings, make_user())
    for _ in range(3):
        with pytest.raises(WrongCode):
            code_store.verify(
                db, settings=settings, code_id=issued.row.id, code=_wrong(issued.code)
            )
        db.rollback()
    assert _raw_row(engine, issued.row.id)["attempts"] == 3

    with Session(engine) as other:
        with pytest.raises(WrongCode) as wrong:
            code_store.verify(
                other, settings=settings, code_id=issued.row.id, code=_wrong(issued.code)
            )
        other.rollback()
    assert wrong.value.tries_left == 1


def test_twenty_concurrent_right_codes_win_once(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    issued = _issue(db, settings, make_user())
    start = threading.Barrier(20)

    def submit(_: int) -> str:
        with Session(engine, expire_on_commit=False) as own:
            start.wait()
            try:
                code_store.verify(own, settings=settings, code_id=issued.row.id, code=issued.code)
                own.commit()
                return "won"
            except DomainError as exc:
                own.rollback()
                return exc.code

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(submit, range(20)))

    assert outcomes.count("won") == 1, outcomes
    assert set(outcomes) - {"won"} <= {"otp_session_invalid", "code_used_up"}
    row = _raw_row(engine, issued.row.id)
    assert row["consumed_at"] is not None
    assert 1 <= int(row["attempts"]) <= code_store.MAX_TRIES  # type: ignore[call-overload]
