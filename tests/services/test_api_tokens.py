"""API access and refresh tokens: purposes, rotation, reuse detection, revocation."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from admin_app.errors import InvalidRefreshToken, NotAuthenticated
from admin_app.models import RefreshToken, User
from admin_app.security import keys
from admin_app.services.access import api_tokens, principals
from admin_app.services.access.permissions import names as catalogue_names
from admin_app.services.accounts import users
from admin_app.settings import Settings
from tests.conftest import CTX, TEST_SECRET

MakeUser = Callable[..., User]
Travel = Callable[[float], None]
InvalidRefresh = InvalidRefreshToken


def _pair(db: Session, settings: Settings, user: User) -> api_tokens.TokenPair:
    pair = api_tokens.issue_pair(db, settings=settings, user=user, ctx=CTX, method="password")
    db.commit()
    return pair


def _refresh(db: Session, settings: Settings, token: str) -> api_tokens.TokenPair:
    try:
        pair = api_tokens.refresh(db, settings=settings, refresh_token=token, ctx=CTX)
    except Exception:
        db.rollback()
        raise
    db.commit()
    return pair


def _jti(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def _rows(engine: Engine) -> list[RefreshToken]:
    with Session(engine) as fresh:
        return list(fresh.exec(select(RefreshToken).order_by(RefreshToken.created_at)).all())  # type: ignore[arg-type]


def _works(db: Session, settings: Settings, access: str) -> bool:
    try:
        principals.authenticate_access(db, settings=settings, token=access)
    except NotAuthenticated:
        return False
    return True


def _craft(
    claims: dict[str, object],
    secret: str = TEST_SECRET,
    algorithm: str = "HS256",
    *,
    derived: bool = True,
) -> str:
    """Signed as the app signs (the secret's HKDF "jwt" key), or with the raw secret."""
    key: str | bytes = keys.derive(secret, "jwt") if derived else secret
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=algorithm)


def test_an_access_token_names_the_user_and_their_permissions(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user(username="ada", email="ada@example.com", full_name="Ada Lovelace")
    admin = make_user(admin=True, mfa=True)
    pair = _pair(db, settings, user)
    assert pair.expires_in == settings.access_token_ttl == 900

    me = principals.authenticate_access(db, settings=settings, token=pair.access_token)
    assert (me.user_id, me.username, me.full_name, me.email, me.mfa_enabled) == (
        user.id,
        "ada",
        "Ada Lovelace",
        "ada@example.com",
        False,
    )
    assert (me.roles, me.permissions) == (["User"], ["api_keys:write"])

    boss = principals.authenticate_access(
        db, settings=settings, token=_pair(db, settings, admin).access_token
    )
    assert boss.roles == ["Admin", "User"]
    assert boss.permissions == sorted(catalogue_names())
    assert boss.mfa_enabled


def test_tokens_do_not_stand_in_for_each_other(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    pair = _pair(db, settings, make_user())
    with pytest.raises(NotAuthenticated):
        principals.authenticate_access(db, settings=settings, token=pair.refresh_token)
    with pytest.raises(InvalidRefresh):
        _refresh(db, settings, pair.access_token)
    # The refresh token was not spent by being shown in the wrong place.
    assert _refresh(db, settings, pair.refresh_token)


def test_forged_and_incomplete_tokens_are_refused(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user()
    pair = _pair(db, settings, user)
    real = jwt.decode(pair.access_token, options={"verify_signature": False})
    refresh_claims = jwt.decode(pair.refresh_token, options={"verify_signature": False})
    now = int(time.time())
    assert _works(db, settings, _craft(real))  # the crafting itself is sound

    for claims, secret, algorithm in [
        ({k: v for k, v in real.items() if k != "exp"}, TEST_SECRET, "HS256"),
        ({k: v for k, v in real.items() if k != "iat"}, TEST_SECRET, "HS256"),
        ({k: v for k, v in real.items() if k != "sub"}, TEST_SECRET, "HS256"),
        ({k: v for k, v in real.items() if k != "typ"}, TEST_SECRET, "HS256"),
        ({**real, "typ": "session"}, TEST_SECRET, "HS256"),
        ({**real, "sub": "not-a-number"}, TEST_SECRET, "HS256"),
        ({**real, "sub": "99999"}, TEST_SECRET, "HS256"),
        ({**real, "exp": now - 3600, "iat": now - 7200}, TEST_SECRET, "HS256"),
        ({**real, "iat": now + 3600}, TEST_SECRET, "HS256"),
        (real, "another-secret-" + "y" * 40, "HS256"),
        (real, TEST_SECRET, "HS512"),
        ({k: v for k, v in real.items() if k != "ver"}, TEST_SECRET, "HS256"),
        ({**real, "ver": str(real["ver"])}, TEST_SECRET, "HS256"),
        ({**real, "fam": 7}, TEST_SECRET, "HS256"),
        ({**real, "fam": "no-such-family"}, TEST_SECRET, "HS256"),
    ]:
        assert not _works(db, settings, _craft(claims, secret, algorithm)), claims
    # Signed with JWT_SECRET itself rather than its derived key: refused.
    assert not _works(db, settings, _craft(real, derived=False))
    assert not _works(db, settings, jwt.encode(real, None, algorithm="none"))  # type: ignore[arg-type]
    assert not _works(db, settings, "not.a.token")

    no_exp = {k: v for k, v in refresh_claims.items() if k != "exp"}
    with pytest.raises(InvalidRefresh):
        _refresh(db, settings, _craft(no_exp))


def test_an_access_token_expires(
    db: Session, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    pair = _pair(db, settings, make_user())
    travel(settings.access_token_ttl - 5)
    assert _works(db, settings, pair.access_token)
    travel(60)
    assert not _works(db, settings, pair.access_token)
    # The refresh token still gets a fresh one.
    assert _works(db, settings, _refresh(db, settings, pair.refresh_token).access_token)


def test_refresh_rotates(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user()
    first = _pair(db, settings, user)
    second = _refresh(db, settings, first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert _works(db, settings, second.access_token)

    old, new = _rows(engine)
    assert (old.id, new.id) == (_jti(first.refresh_token), _jti(second.refresh_token))
    assert old.used_at is not None and old.replaced_by == new.id
    assert new.used_at is None and new.family_id == old.family_id
    assert old.revoked_at is None and new.revoked_at is None

    third = _refresh(db, settings, second.refresh_token)
    assert _jti(third.refresh_token) not in {old.id, new.id}


def test_a_replay_within_the_grace_window_gets_the_same_successor(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    first = _pair(db, settings, make_user())
    second = _refresh(db, settings, first.refresh_token)
    travel(settings.refresh_reuse_grace - 1)
    again = _refresh(db, settings, first.refresh_token)
    assert _jti(again.refresh_token) == _jti(second.refresh_token)
    assert _works(db, settings, again.access_token)
    assert len(_rows(engine)) == 2
    # The successor is still good for its own rotation.
    assert _refresh(db, settings, again.refresh_token)


def test_a_replay_after_the_grace_window_ends_the_whole_family(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser, travel: Travel
) -> None:
    user = make_user()
    first = _pair(db, settings, user)
    other_device = _pair(db, settings, user)
    second = _refresh(db, settings, first.refresh_token)
    travel(settings.refresh_reuse_grace + 1)

    with pytest.raises(InvalidRefresh):
        _refresh(db, settings, first.refresh_token)
    with pytest.raises(InvalidRefresh):
        _refresh(db, settings, second.refresh_token)
    family = _jti(first.refresh_token)
    rows = {row.id: row for row in _rows(engine)}
    family_id = rows[family].family_id
    assert all(r.revoked_at is not None for r in rows.values() if r.family_id == family_id)
    # Another family of the same user is not touched.
    assert _refresh(db, settings, other_device.refresh_token)


def test_a_shorter_grace_window_is_honoured(
    db: Session, make_settings: Callable[..., Settings], make_user: MakeUser, travel: Travel
) -> None:
    strict = make_settings(REFRESH_REUSE_GRACE_SECONDS=2)
    first = _pair(db, strict, make_user())
    _refresh(db, strict, first.refresh_token)
    travel(3)
    with pytest.raises(InvalidRefresh):
        _refresh(db, strict, first.refresh_token)


def test_a_refresh_token_expires(
    db: Session, make_settings: Callable[..., Settings], make_user: MakeUser, travel: Travel
) -> None:
    short = make_settings(REFRESH_TOKEN_TTL_SECONDS=3600)
    first = _pair(db, short, make_user())
    travel(3600 + 60)
    with pytest.raises(InvalidRefresh):
        _refresh(db, short, first.refresh_token)


def test_logout_ends_the_family(db: Session, settings: Settings, make_user: MakeUser) -> None:
    user = make_user()
    first = _pair(db, settings, user)
    other_device = _pair(db, settings, user)
    second = _refresh(db, settings, first.refresh_token)
    api_tokens.logout(db, settings=settings, refresh_token=first.refresh_token)
    db.commit()
    for token in (first.refresh_token, second.refresh_token):
        with pytest.raises(InvalidRefresh):
            _refresh(db, settings, token)
    assert _refresh(db, settings, other_device.refresh_token)
    # A bad token logs nothing out and raises nothing.
    api_tokens.logout(db, settings=settings, refresh_token="garbage")
    api_tokens.logout(db, settings=settings, refresh_token=other_device.access_token)


def test_disabling_the_user_ends_access_and_refresh(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user()
    pair = _pair(db, settings, user)
    user.is_active = False
    db.add(user)
    db.commit()
    assert not _works(db, settings, pair.access_token)
    with pytest.raises(InvalidRefresh):
        _refresh(db, settings, pair.refresh_token)


def test_a_password_change_ends_access_and_refresh(
    db: Session, settings: Settings, make_user: MakeUser
) -> None:
    user = make_user()
    pair = _pair(db, settings, user)
    users.set_password(
        db, settings=settings, user=user, password="another long passphrase", ctx=CTX
    )
    db.commit()
    assert not _works(db, settings, pair.access_token)
    with pytest.raises(InvalidRefresh):
        _refresh(db, settings, pair.refresh_token)
    assert _works(db, settings, _pair(db, settings, user).access_token)


@pytest.mark.both_databases
def test_twenty_concurrent_refreshes_share_one_successor(
    db: Session, engine: Engine, settings: Settings, make_user: MakeUser
) -> None:
    first = _pair(db, settings, make_user())
    start = threading.Barrier(20)

    def rotate(_: int) -> str:
        with Session(engine, expire_on_commit=False) as own:
            start.wait()
            pair = api_tokens.refresh(
                own, settings=settings, refresh_token=first.refresh_token, ctx=CTX
            )
            own.commit()
            return _jti(pair.refresh_token)

    with ThreadPoolExecutor(max_workers=20) as pool:
        successors = list(pool.map(rotate, range(20)))

    assert len(set(successors)) == 1
    rows = _rows(engine)
    assert len(rows) == 2
    assert rows[1].id == successors[0] and rows[0].replaced_by == successors[0]
    assert all(row.revoked_at is None for row in rows)
