"""Sign-in with Google, GitHub and Microsoft: from a provider's identity to a user.

Protocol work (state, PKCE, nonce, ID-token checks) happens in the web
adapter with Authlib; this module decides who the identity is:
  1. a linked account (provider, provider account id) wins;
  2. else an existing user with the same email, only when the provider
     vouches for the email (Google `email_verified`, GitHub's verified
     primary, Microsoft's `xms_edov`);
  3. else a new account, when sign-up is on and the email is vouched for.
An email that is not vouched for never opens an existing account: that is
the "nOAuth" takeover (CVE-2024-21632), where a Microsoft tenant sets any
`email` it likes.
"""

from __future__ import annotations

import dataclasses
import re

import sqlalchemy as sa
from sqlmodel import Session, col, select

from admin_app.errors import (
    AccountDisabled,
    CannotUnlink,
    DomainError,
    EmailNotVerified,
    SignsInAnotherWay,
    SignupDisabled,
)
from admin_app.models import OAuthAccount, User
from admin_app.services import on_record
from admin_app.services.accounts import users
from admin_app.services.audit import trail
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings

LABELS = {"google": "Google", "github": "GitHub", "microsoft": "Microsoft"}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProviderIdentity:
    provider: str
    subject: str
    email: str | None
    email_verified: bool
    full_name: str
    login: str | None = None


def _linked_providers(session: Session, user_id: int) -> list[str]:
    return list(
        session.exec(select(OAuthAccount.provider).where(OAuthAccount.user_id == user_id)).all()
    )


METHOD_WORDS = {"password": "a password", "email_code": "a code sent by email", **LABELS}


def sign_in_methods(session: Session, *, settings: Settings, user: User) -> list[str]:
    """How an account signs in, as codes: password, email_code, google, github, microsoft."""
    assert user.id is not None
    methods = []
    if user.password_hash is not None and settings.uses_passwords:
        methods.append("password")
    if not settings.uses_passwords:
        methods.append("email_code")
    methods += sorted(_linked_providers(session, user.id))
    if not methods and settings.code_at_every_signin:
        methods.append("email_code")  # with the password+otp reset link, or a code
    return methods


def describe_methods(methods: list[str]) -> str:
    """Words for "this account signs in with ..."; unknown codes are dropped."""
    words = [METHOD_WORDS[m] for m in methods if m in METHOD_WORDS]
    return " or ".join(words) or "another way"


def how_it_signs_in(session: Session, *, settings: Settings, user: User) -> str:
    """Words for "this account signs in ..." (never how to get into it)."""
    return describe_methods(sign_in_methods(session, settings=settings, user=user))


def _free_username(session: Session, identity: ProviderIdentity) -> str:
    seed = identity.login or (identity.email or "").split("@")[0] or identity.provider
    base = re.sub(r"[^A-Za-z0-9_.-]", "", seed)[:24]
    if len(base) < 3 or not base[0].isalnum():
        base = f"user{base}"[:24]
    candidate, n = base, 1
    while users.find_by_identifier(session, candidate) is not None:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _link(session: Session, *, identity: ProviderIdentity, user: User, ctx: RequestContext) -> None:
    assert user.id is not None
    session.add(
        OAuthAccount(
            provider=identity.provider,
            subject=identity.subject,
            user_id=user.id,
            email=identity.email,
        )
    )
    session.flush()
    trail.record(session, kind="oauth.linked", ctx=ctx, user_id=user.id, provider=identity.provider)


def resolve(
    session: Session, *, settings: Settings, identity: ProviderIdentity, ctx: RequestContext
) -> User:
    """The user this provider identity signs in as (linked, matched or new)."""
    label = LABELS.get(identity.provider, identity.provider)
    linked = session.exec(
        select(User)
        .join(OAuthAccount, col(OAuthAccount.user_id) == col(User.id))
        .where(OAuthAccount.provider == identity.provider, OAuthAccount.subject == identity.subject)
    ).first()
    if linked is not None:
        if not linked.is_active:
            raise AccountDisabled()
        return linked
    email = None
    if identity.email:
        try:
            email = users.normalise_email(identity.email)
        except DomainError:
            email = None
    existing = users.find_by_identifier(session, email) if email else None
    if existing is not None:
        if not identity.email_verified:
            # nOAuth: an address the provider does not vouch for opens nothing.
            on_record.audit(
                session,
                kind="oauth.refused",
                ctx=ctx,
                user_id=existing.id,
                provider=identity.provider,
                reason="email_not_verified",
            )
            raise SignsInAnotherWay(
                f"An account with this email already exists; it signs in with "
                f"{how_it_signs_in(session, settings=settings, user=existing)}. {label} did not "
                f"confirm that the email is yours, so it cannot be used to sign in to it."
            )
        if not existing.is_active:
            raise AccountDisabled()
        _link(session, identity=identity, user=existing, ctx=ctx)
        return existing
    if not settings.signup_enabled:
        raise SignupDisabled(
            f"There is no account for this {label} sign-in, and sign-up is turned off here."
        )
    if email is None or not identity.email_verified:
        raise EmailNotVerified(
            f"{label} did not share a confirmed email address, which a new account needs."
        )
    user = users.create_user(
        session,
        settings=settings,
        data=users.NewUser(
            username=_free_username(session, identity),
            full_name=(identity.full_name.strip() or identity.login or email.split("@")[0])[:200],
            email=email,
        ),
        ctx=ctx,
    )
    trail.record(
        session, kind="signup.completed", ctx=ctx, user_id=user.id, provider=identity.provider
    )
    _link(session, identity=identity, user=user, ctx=ctx)
    return user


def linked(session: Session, *, user_id: int) -> list[str]:
    return sorted(_linked_providers(session, user_id))


def unlink(
    session: Session, *, settings: Settings, user: User, provider: str, ctx: RequestContext
) -> None:
    """Remove a link, when the user keeps another way in."""
    assert user.id is not None
    others = [p for p in _linked_providers(session, user.id) if p != provider]
    has_password = user.password_hash is not None and settings.uses_passwords
    email_code = not settings.uses_passwords
    if not (others or has_password or email_code):
        raise CannotUnlink()
    session.execute(
        sa.delete(OAuthAccount).where(
            col(OAuthAccount.user_id) == user.id, col(OAuthAccount.provider) == provider
        )
    )
    trail.record(session, kind="oauth.unlinked", ctx=ctx, user_id=user.id, provider=provider)
