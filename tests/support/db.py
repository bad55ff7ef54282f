"""Small database helpers the service and API tests share."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.clock import now
from admin_app.models import User
from admin_app.services.access import fresh_proofs, principals
from admin_app.services.access.principals import Principal


def count_rows(source: Engine | Session, model: type[Any]) -> int:
    """Rows of `model`: as a session sees them, or, given an engine, in a fresh session."""
    query = sa.select(sa.func.count()).select_from(model)
    if isinstance(source, Session):
        return int(source.execute(query).scalar_one())
    with Session(source) as fresh:
        return int(fresh.execute(query).scalar_one())


def principal_of(db: Session, user: User, *, fresh: bool = True) -> Principal:
    """Who `user` is to the services, read through `db`: as if just signed in
    (a fresh proof, for sensitive changes), or, `fresh=False`, long ago."""
    assert user.id is not None
    found = principals.principal_for_user(db, user_id=user.id, stamp=None)
    holder = fresh_proofs.session_holder(f"test-{secrets.token_hex(8)}")
    if fresh:
        until = now() + dt.timedelta(minutes=10)
        fresh_proofs.mark(db, holder=holder, user_id=user.id, until=until)
    return dataclasses.replace(found, proof_holder=holder)
