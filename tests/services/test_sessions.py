"""Server-side sessions and the single-use hand-off ticket."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.errors import UnknownCodeSession
from admin_app.security import tokens
from admin_app.services.access import browser_sessions
from tests.conftest import CTX


def _ticket(db: Session, settings, user) -> str:  # type: ignore[no-untyped-def]
    row = browser_sessions.start(db, settings=settings, user_id=user.id, ctx=CTX)
    ticket = browser_sessions.issue_handoff(db, session_id=row.id)
    db.commit()
    return ticket


def test_ticket_gives_a_cookie_that_names_the_user(db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(admin=True, full_name="Ada Lovelace")
    cookie = browser_sessions.redeem_handoff(
        db, settings=settings, ticket=_ticket(db, settings, user)
    )
    db.commit()
    assert cookie is not None
    me = browser_sessions.current_user(db, settings=settings, token=cookie)
    assert me is not None
    assert (me.user_id, me.full_name, me.is_admin) == (user.id, "Ada Lovelace", True)


def test_ticket_works_once(db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket(db, settings, make_user())
    assert browser_sessions.redeem_handoff(db, settings=settings, ticket=ticket) is not None
    db.commit()
    assert browser_sessions.redeem_handoff(db, settings=settings, ticket=ticket) is None


def test_ticket_expires(db, settings, make_user, travel) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket(db, settings, make_user())
    travel(browser_sessions.HANDOFF_TTL_SECONDS + 1)
    assert browser_sessions.redeem_handoff(db, settings=settings, ticket=ticket) is None


@pytest.mark.both_databases
def test_racing_redeemers_get_one_cookie(engine: Engine, db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket(db, settings, make_user())

    def redeem(_: int) -> str | None:
        with Session(engine) as own:
            cookie = browser_sessions.redeem_handoff(own, settings=settings, ticket=ticket)
            own.commit()
            return cookie

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(redeem, range(10)))
    assert sum(result is not None for result in results) == 1


def test_revoked_session_opens_nothing(db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    cookie = browser_sessions.redeem_handoff(
        db, settings=settings, ticket=_ticket(db, settings, user)
    )
    assert cookie is not None
    me = browser_sessions.current_user(db, settings=settings, token=cookie)
    assert me is not None
    browser_sessions.revoke(db, session_id=me.session_id)
    db.commit()
    assert browser_sessions.current_user(db, settings=settings, token=cookie) is None


def test_disabled_user_is_signed_out(db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    cookie = browser_sessions.redeem_handoff(
        db, settings=settings, ticket=_ticket(db, settings, user)
    )
    user.is_active = False
    db.add(user)
    db.commit()
    assert browser_sessions.current_user(db, settings=settings, token=cookie) is None


def test_only_a_session_token_opens_a_session(db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    cookie = browser_sessions.redeem_handoff(
        db, settings=settings, ticket=_ticket(db, settings, user)
    )
    assert cookie is not None
    sid = tokens.verify(settings.jwt_secret, cookie, typ=tokens.TokenType.SESSION)["sid"]
    access = tokens.issue(
        settings.jwt_secret, typ=tokens.TokenType.ACCESS, sub=str(user.id), ttl=60, sid=sid
    )
    assert browser_sessions.current_user(db, settings=settings, token=access) is None
    assert browser_sessions.current_user(db, settings=settings, token=cookie + "x") is None
    assert browser_sessions.current_user(db, settings=settings, token="garbage") is None


def test_revoke_all_keeps_the_current_one(db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    rows = [
        browser_sessions.start(db, settings=settings, user_id=user.id, ctx=CTX) for _ in range(3)
    ]
    db.commit()
    assert browser_sessions.revoke_all(db, user_id=user.id, except_id=rows[0].id) == 2


def test_a_confirmation_code_is_not_a_sign_in(db, settings, make_user) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from admin_app.services.email_codes import code_store
    from admin_app.services.signin import stages

    user = make_user()
    issued = code_store.issue(
        db,
        settings=settings,
        purpose="confirm",
        email=user.email,
        user_id=user.id,
        payload={"identifier": user.email},
    )
    db.commit()
    with pytest.raises(UnknownCodeSession):
        stages.complete(
            db, settings=settings, otp_session_id=issued.row.id, code=issued.code, ctx=CTX
        )


def test_an_idle_session_ends_and_an_active_one_goes_on(db, settings, make_user, travel) -> None:  # type: ignore[no-untyped-def]
    assert settings.session_idle_timeout == 30 * 60
    cookie = browser_sessions.redeem_handoff(
        db, settings=settings, ticket=_ticket(db, settings, make_user())
    )
    db.commit()
    # Used every 20 minutes for an hour: the session stays.
    for _ in range(3):
        travel(20 * 60)
        assert browser_sessions.current_user(db, settings=settings, token=cookie) is not None
        db.commit()
    # Then 31 minutes of quiet: it is over, well before its 12-hour lifetime.
    travel(31 * 60)
    assert browser_sessions.current_user(db, settings=settings, token=cookie) is None
