"""Access and refresh tokens for the REST API (SPEC section 6).

Access tokens are short JWTs checked without a write. Refresh tokens are
JWTs naming a row; each refresh marks its row used and chains a successor
in the same family. A used token presented again revokes the family, except
within the grace window, when a concurrent client gets the successor.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session

from admin_app.clock import now
from admin_app.errors import InvalidRefreshToken
from admin_app.models import RefreshToken, User
from admin_app.security import tokens
from admin_app.security.randomness import new_id
from admin_app.services import on_record
from admin_app.services.access import fresh_proofs
from admin_app.services.access.token_families import revoke_family
from admin_app.services.audit import trail
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings


@dataclasses.dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def _access(settings: Settings, user_id: int, stamp: int, family_id: str) -> str:
    # `fam` ties the access token to its refresh family: logout or a detected
    # reuse ends it at once, not at its expiry (principals checks the family).
    return tokens.issue(
        settings.jwt_secret,
        typ=tokens.TokenType.ACCESS,
        sub=str(user_id),
        ttl=settings.access_token_ttl,
        ver=stamp,
        fam=family_id,
    )


def _refresh_jwt(settings: Settings, row: RefreshToken, stamp: int) -> str:
    ttl = int((row.expires_at - now()).total_seconds())
    return tokens.issue(
        settings.jwt_secret,
        typ=tokens.TokenType.REFRESH,
        sub=str(row.user_id),
        ttl=max(ttl, 1),
        jti=row.id,
        fam=row.family_id,
        ver=stamp,
    )


_refresh_tokens = RefreshToken.__table__  # type: ignore[attr-defined]
_INSERT_REFRESH = sa.insert(_refresh_tokens)
_moment = sa.bindparam("moment", type_=_refresh_tokens.c.used_at.type)
# One conditional UPDATE claims the token: of many racing refreshes, one wins.
_ROTATE = (
    sa.update(_refresh_tokens)
    .where(
        _refresh_tokens.c.id == sa.bindparam("token_id"),
        _refresh_tokens.c.used_at.is_(None),
        _refresh_tokens.c.revoked_at.is_(None),
        _refresh_tokens.c.expires_at > _moment,
    )
    .values(used_at=_moment, replaced_by=sa.bindparam("successor_id"))
    .returning(_refresh_tokens.c.user_id, _refresh_tokens.c.family_id)
)


def _new_row(
    session: Session, settings: Settings, *, user_id: int, family_id: str, row_id: str
) -> RefreshToken:
    """Insert a refresh-token row (a prebuilt Core insert: this is a hot path)."""
    moment = now()
    row = RefreshToken(
        id=row_id,
        family_id=family_id,
        user_id=user_id,
        created_at=moment,
        expires_at=moment + dt.timedelta(seconds=settings.refresh_token_ttl),
    )
    session.execute(
        _INSERT_REFRESH,
        {
            "id": row.id,
            "family_id": row.family_id,
            "user_id": row.user_id,
            "created_at": row.created_at,
            "expires_at": row.expires_at,
        },
    )
    return row


def issue_pair(
    session: Session, *, settings: Settings, user: User, ctx: RequestContext, method: str
) -> TokenPair:
    """A new token family for a user who has passed every sign-in stage."""
    assert user.id is not None
    row = _new_row(session, settings, user_id=user.id, family_id=new_id(), row_id=new_id())
    # A sign-in is a proof: the family may make sensitive changes for a while.
    fresh_proofs.mark(
        session,
        holder=fresh_proofs.family_holder(row.family_id),
        user_id=user.id,
        until=fresh_proofs.fresh_until(settings),
    )
    trail.record(
        session, kind="signin.succeeded", ctx=ctx, user_id=user.id, method=method, client="api"
    )
    return TokenPair(
        access_token=_access(settings, user.id, user.security_stamp, row.family_id),
        refresh_token=_refresh_jwt(settings, row, user.security_stamp),
        expires_in=settings.access_token_ttl,
    )


def _claims(settings: Settings, refresh_token: str) -> dict[str, object]:
    try:
        return tokens.verify(settings.jwt_secret, refresh_token, typ=tokens.TokenType.REFRESH)
    except tokens.InvalidToken:
        raise InvalidRefreshToken() from None


_STAMP = sa.select(User.__table__.c.security_stamp).where(  # type: ignore[attr-defined]
    User.__table__.c.id == sa.bindparam("user_id"),  # type: ignore[attr-defined]
    User.__table__.c.is_active.is_(True),  # type: ignore[attr-defined]
)


def _live_stamp(session: Session, user_id: int, stamp: object) -> int:
    """The user's security stamp, when they are active and it still matches `stamp`."""
    current = session.execute(_STAMP, {"user_id": user_id}).scalar()
    if current is None or current != stamp:
        raise InvalidRefreshToken()
    return int(current)


def refresh(
    session: Session, *, settings: Settings, refresh_token: str, ctx: RequestContext
) -> TokenPair:
    """Rotate: the presented token dies and a new pair comes back."""
    claims = _claims(settings, refresh_token)
    token_id = str(claims.get("jti", ""))
    moment = now()
    successor_id = new_id()
    won = session.execute(
        _ROTATE, {"token_id": token_id, "moment": moment, "successor_id": successor_id}
    ).first()
    if won is not None:
        user_id, family_id = won
        stamp = _live_stamp(session, user_id, claims.get("ver"))
        row = _new_row(session, settings, user_id=user_id, family_id=family_id, row_id=successor_id)
        return TokenPair(
            access_token=_access(settings, user_id, stamp, family_id),
            refresh_token=_refresh_jwt(settings, row, stamp),
            expires_in=settings.access_token_ttl,
        )
    return _replayed(session, settings=settings, token_id=token_id, claims=claims, ctx=ctx)


def _replayed(
    session: Session,
    *,
    settings: Settings,
    token_id: str,
    claims: dict[str, object],
    ctx: RequestContext,
) -> TokenPair:
    row = session.get(RefreshToken, token_id)
    if row is None or row.revoked_at is not None or row.used_at is None:
        raise InvalidRefreshToken()
    grace = dt.timedelta(seconds=settings.refresh_reuse_grace)
    if now() - row.used_at <= grace:
        # Concurrent clients refreshed with the same token: the slower ones get
        # the family's live head (the newest token), not a revoked family.
        head = _live_head(session, row)
        if head is not None:
            stamp = _live_stamp(session, row.user_id, claims.get("ver"))
            return TokenPair(
                access_token=_access(settings, row.user_id, stamp, row.family_id),
                refresh_token=_refresh_jwt(settings, head, stamp),
                expires_in=settings.access_token_ttl,
            )
    # A token used twice, outside the grace window: likely stolen. End the family.
    family_id, user_id = row.family_id, row.user_id

    def end_family(own: Session) -> None:
        revoke_family(own, family_id=family_id)
        trail.record(own, kind="token.reuse_detected", ctx=ctx, user_id=user_id)

    on_record.keep(session, end_family)
    raise InvalidRefreshToken()


def _live_head(session: Session, row: RefreshToken, max_hops: int = 20) -> RefreshToken | None:
    """Follow the rotation chain from `row` to the unused token at its end."""
    current: RefreshToken | None = row
    for _ in range(max_hops):
        if current is None or current.replaced_by is None:
            break
        current = session.get(RefreshToken, current.replaced_by)
        if current is not None and current.used_at is None:
            return current if current.revoked_at is None else None
    return None


def logout(session: Session, *, settings: Settings, refresh_token: str) -> None:
    """End the family of `refresh_token`, and with it the family's access
    tokens; quietly does nothing for a bad token."""
    try:
        claims = tokens.verify(settings.jwt_secret, refresh_token, typ=tokens.TokenType.REFRESH)
    except tokens.InvalidToken:
        return
    family = claims.get("fam")
    if isinstance(family, str):
        revoke_family(session, family_id=family)
