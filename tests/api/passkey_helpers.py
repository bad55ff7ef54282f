"""Shared by the passkey API tests: the software authenticator plays the browser.

`SoftAuthenticator` answers the options the API sends as
`navigator.credentials.create`/`.get` would, for the pages' origin (APP_URL:
http://localhost:3000 in the API tests); these helpers post its answers.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app.models import AuditEvent
from tests.api import factor_helpers as f
from tests.support.soft_authenticator import SoftAuthenticator

ORIGIN = "http://localhost:3000"
PASSKEY_KEYS = {"id", "name", "created_at", "last_used_at", "synced"}
OPTIONS_KEYS = {"attempt_id", "options", "expires_in"}


def options_of(answer: Any) -> dict[str, Any]:
    """The options object of an options answer (200, the documented shape)."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == OPTIONS_KEYS, body
    assert isinstance(body["options"], dict) and body["options"]["challenge"]
    assert 0 < body["expires_in"] <= 120
    return dict(body)


def add_passkey(
    client: TestClient,
    headers: dict[str, str],
    authenticator: SoftAuthenticator,
    name: str = "Laptop",
    **answer: Any,
) -> dict[str, Any]:
    """Add a passkey through the API (the caller's proof must be fresh); the 201 body."""
    started = options_of(
        client.post("/auth/passkeys/register/options", json={"name": name}, headers=headers)
    )
    made = authenticator.register(started["options"], **answer)
    done = client.post(
        "/auth/passkeys/register", json={"credential": json.loads(made)}, headers=headers
    )
    assert done.status_code == 201, done.text
    body = done.json()
    assert set(body) == {"passkey", "recovery_codes"}
    assert set(body["passkey"]) == PASSKEY_KEYS
    return dict(body)


def signin_options(client: TestClient) -> dict[str, Any]:
    return options_of(client.post("/auth/passkeys/signin/options"))


def answer_signin(client: TestClient, attempt_id: str, credential: str) -> Any:
    """Post an authenticator's answer (its JSON text) to the sign-in route."""
    return client.post(
        "/auth/passkeys/signin",
        json={"attempt_id": attempt_id, "credential": json.loads(credential)},
    )


def sign_in(client: TestClient, authenticator: SoftAuthenticator, **answer: Any) -> Any:
    """A whole passkey sign-in: options, the authenticator's answer, its response."""
    started = signin_options(client)
    made = authenticator.authenticate(started["options"], **answer)
    return answer_signin(client, started["attempt_id"], made)


def meet_step(
    client: TestClient, otp_session_id: str, authenticator: SoftAuthenticator, **answer: Any
) -> Any:
    """Meet a factor step with a passkey: its options, then the answer."""
    started = options_of(
        client.post("/auth/passkeys/factor/options", json={"otp_session_id": otp_session_id})
    )
    made = authenticator.authenticate(started["options"], **answer)
    return client.post(
        "/auth/passkeys/factor",
        json={"otp_session_id": otp_session_id, "credential": json.loads(made)},
    )


def tokens(answer: Any) -> dict[str, str]:
    """The Bearer header of a token-pair answer."""
    return f.bearer(f.pair(answer)["access_token"])


def audit(engine: Engine, kind: str) -> list[dict[str, Any]]:
    """The details of the audit events of `kind`, oldest first, each with its `user_id`."""
    with Session(engine) as fresh:
        rows = fresh.exec(
            select(AuditEvent).where(AuditEvent.kind == kind).order_by(col(AuditEvent.id))
        ).all()
    return [{**json.loads(row.detail or "{}"), "user_id": row.user_id} for row in rows]
