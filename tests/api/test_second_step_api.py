"""Signing in through the API with second factors: each method of the step, every refusal,
the modes' orders of steps, and the MFA policy. Real SMTP, codes computed with pyotp."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from admin_app import paths
from admin_app.models import AuditEvent, User
from admin_app.services.factors import trusted
from admin_app.services.request_context import RequestContext
from admin_app.settings import Settings
from tests.api import factor_helpers as f
from tests.conftest import PASSWORD
from tests.support.smtp import SmtpServer

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
LOGIN = {"username": "ada", "password": PASSWORD}


def _login(client: TestClient, body: dict[str, Any] = LOGIN) -> Any:
    return client.post("/auth/login", json=body)


def _verify(client: TestClient, waiting: dict[str, Any], code: str, method: str | None) -> Any:
    body = {"otp_session_id": waiting["otp_session_id"], "code": code}
    if method is not None:
        body["method"] = method
    return client.post("/auth/verify-otp", json=body)


def _with_app(client: TestClient, travel: f.Travel) -> tuple[f.Authenticator, list[str]]:
    """Ada (password mode, MFA off) signs in and adds an app."""
    signed_in = f.pair(_login(client))
    return f.add_app(client, f.bearer(signed_in["access_token"]), travel)


def _me(client: TestClient, tokens: dict[str, Any]) -> dict[str, Any]:
    answer = client.get("/auth/me", headers=f.bearer(tokens["access_token"]))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _audit(engine: Engine, kind: str) -> list[dict[str, Any]]:
    """The details of the audit events of `kind`, oldest first."""
    with Session(engine) as fresh:
        rows = fresh.exec(
            select(AuditEvent).where(AuditEvent.kind == kind).order_by(col(AuditEvent.id))
        ).all()
    return [json.loads(row.detail or "{}") for row in rows]


@pytest.mark.both_databases
def test_an_authenticator_code_meets_the_step_once(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, engine: Engine
) -> None:
    client = api_client(mode="password")
    user = make_user(username="ada", email="ada@example.com")
    app, _codes = _with_app(client, travel)

    waiting = f.otp_required(_login(client))
    # The step says how it may be met; nothing was mailed.
    assert (waiting["methods"], waiting["code_mailed"], waiting["resend_in"]) == (
        ["totp", "recovery"],
        False,
        0,
    )
    code = app.code()
    tokens = f.pair(_verify(client, waiting, code, "totp"))
    assert _me(client, tokens)["id"] == user.id
    assert _audit(engine, "signin.succeeded")[-1]["method"] == "totp"

    # A replayed code, in its window, is refused: the step is taken.
    again = f.otp_required(_login(client))
    f.error(_verify(client, again, code, "totp"), 400, "incorrect_factor_code")
    # A wrong code too; the step still takes a right one afterwards.
    wrong = "000000" if code != "000000" else "111111"
    f.error(_verify(client, again, wrong, "totp"), 400, "incorrect_factor_code")
    # Without `method`, the first offered (totp).
    f.pair(_verify(client, again, app.code(), None))


def test_a_recovery_code_meets_the_step_once_and_is_mailed(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    _app, codes = _with_app(client, travel)
    assert len(codes) == 10 and all(f.RECOVERY_CODE.match(c) for c in codes)

    waiting = f.otp_required(_login(client))
    # Case and dashes do not matter.
    tokens = f.pair(_verify(client, waiting, codes[0].upper().replace("-", ""), "recovery"))
    mail = f.wait_for_subject(smtp_server, "ada@example.com", "A recovery code was used")
    assert "9 recovery codes are left." in " ".join(smtp_server.inbox.text(mail).split())
    left = client.get("/auth/factors", headers=f.bearer(tokens["access_token"]))
    assert left.json()["recovery_codes_left"] == 9

    # A used recovery code opens nothing.
    again = f.otp_required(_login(client))
    f.error(_verify(client, again, codes[0], "recovery"), 400, "incorrect_factor_code")
    f.pair(_verify(client, again, codes[1], "recovery"))


def test_a_method_the_step_does_not_offer_is_refused(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    app, _codes = _with_app(client, travel)
    waiting = f.otp_required(_login(client))
    assert "email" not in waiting["methods"]
    f.error(_verify(client, waiting, "123456", "email"), 400, "method_not_available")
    f.error(
        client.post("/auth/resend-otp", json={"otp_session_id": waiting["otp_session_id"]}),
        400,
        "method_not_available",
    )
    assert f.codes_mailed(smtp_server, "ada@example.com") == []
    f.pair(_verify(client, waiting, app.code(), "totp"))

    # The email code stage of a user without an app takes no factor.
    make_user(username="bob", email="bob@example.com", mfa=True)
    code_stage = f.otp_required(_login(client, {"username": "bob", "password": PASSWORD}))
    assert code_stage["methods"] == ["email"]
    f.error(_verify(client, code_stage, "123456", "totp"), 400, "method_not_available")


@pytest.mark.parametrize(
    ("mode", "mfa"), [("password", True), ("password+otp", False)], ids=["mfa-on", "password+otp"]
)
def test_the_email_code_in_a_factor_step_is_mailed_when_asked(
    api_client: ApiClient,
    make_user: MakeUser,
    travel: f.Travel,
    smtp_server: SmtpServer,
    mode: str,
    mfa: bool,
) -> None:
    client = api_client(mode=mode)
    make_user(username="ada", email="ada@example.com", mfa=mfa)
    # Before an app, the email code is the step.
    first = f.otp_required(_login(client))
    assert (first["methods"], first["code_mailed"]) == (["email"], True)
    tokens = f.pair(_verify(client, first, f.wait_for_code(smtp_server, "ada@example.com"), None))
    f.add_app(client, f.bearer(tokens["access_token"]), travel)

    waiting = f.otp_required(_login(client))
    assert (waiting["methods"], waiting["code_mailed"]) == (["totp", "recovery", "email"], False)
    assert len(f.codes_mailed(smtp_server, "ada@example.com")) == 1
    f.error(_verify(client, waiting, "123456", "email"), 400, "method_not_available")

    # Switching to the email code mails it at once, under a new otp_session_id.
    mailed = f.otp_required(
        client.post("/auth/resend-otp", json={"otp_session_id": waiting["otp_session_id"]})
    )
    assert mailed["otp_session_id"] != waiting["otp_session_id"]
    assert (mailed["methods"], mailed["code_mailed"], mailed["resend_in"]) == (
        ["totp", "recovery", "email"],
        True,
        60,
    )
    code = f.wait_for_code(smtp_server, "ada@example.com", count=2)
    f.error(_verify(client, waiting, code, "email"), 400, "otp_session_invalid")
    # A second mail waits out the cooldown.
    f.error(
        client.post("/auth/resend-otp", json={"otp_session_id": mailed["otp_session_id"]}),
        429,
        "too_many_attempts",
    )
    f.pair(_verify(client, mailed, code, "email"))


def test_otp_mode_asks_for_the_app_after_the_email_code(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="otp")
    user = make_user(username="ada", email="ada@example.com", password=None)
    first = f.otp_required(_login(client, {"username": "ada"}))
    tokens = f.pair(_verify(client, first, f.wait_for_code(smtp_server, "ada@example.com"), None))
    app, _codes = f.add_app(client, f.bearer(tokens["access_token"]), travel)

    code_stage = f.otp_required(_login(client, {"username": "ada"}))
    assert (code_stage["methods"], code_stage["code_mailed"]) == (["email"], True)
    code = f.wait_for_code(smtp_server, "ada@example.com", count=2)
    factor_step = f.otp_required(_verify(client, code_stage, code, "email"))
    # The mailbox is proved: the app (or a recovery code) is what is left.
    assert factor_step["otp_session_id"] != code_stage["otp_session_id"]
    assert (factor_step["methods"], factor_step["code_mailed"]) == (["totp", "recovery"], False)
    tokens = f.pair(_verify(client, factor_step, app.code(), "totp"))
    assert _me(client, tokens)["id"] == user.id


def test_email_code_always_keeps_the_code_before_the_app(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password+otp", EMAIL_CODE_ALWAYS="true")
    make_user(username="ada", email="ada@example.com")
    first = f.otp_required(_login(client))
    tokens = f.pair(_verify(client, first, f.wait_for_code(smtp_server, "ada@example.com"), None))
    app, _codes = f.add_app(client, f.bearer(tokens["access_token"]), travel)

    code_stage = f.otp_required(_login(client))
    assert (code_stage["methods"], code_stage["code_mailed"]) == (["email"], True)
    # The app cannot stand in for the email code here.
    f.error(_verify(client, code_stage, app.code(), "totp"), 400, "method_not_available")
    code = f.wait_for_code(smtp_server, "ada@example.com", count=2)
    factor_step = f.otp_required(_verify(client, code_stage, code, None))
    assert factor_step["methods"] == ["totp", "recovery"]
    f.pair(_verify(client, factor_step, app.code(), "totp"))


@pytest.mark.both_databases
def test_mfa_required_all_gives_no_tokens_to_a_user_without_an_app(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, engine: Engine
) -> None:
    client = api_client(mode="password", MFA_REQUIRED="all")
    make_user(username="ada", email="ada@example.com")
    detail = f.error(_login(client), 403, "mfa_enrollment_required")
    assert "authenticator app" in detail
    (refused,) = _audit(engine, "signin.refused")
    assert refused["reason"] == "mfa"

    # Once an app is added (here with the policy off, as a browser would add it at the
    # next sign-in), the policy is met: the app's step, then tokens.
    lenient = api_client(mode="password", MFA_REQUIRED="none")
    app, _codes = _with_app(lenient, travel)
    strict = api_client(mode="password", MFA_REQUIRED="all")
    waiting = f.otp_required(_login(strict))
    f.pair(_verify(strict, waiting, app.code(), "totp"))


def test_mfa_required_refuses_at_verify_otp_as_well(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="otp", MFA_REQUIRED="admins")
    make_user(username="root", email="root@example.com", password=None, admin=True)
    make_user(username="ada", email="ada@example.com", password=None)
    for name, address in (("root", "root@example.com"), ("ada", "ada@example.com")):
        waiting = f.otp_required(_login(client, {"username": name}))
        answer = _verify(client, waiting, f.wait_for_code(smtp_server, address), None)
        if name == "root":
            f.error(answer, 403, "mfa_enrollment_required")
        else:
            f.pair(answer)  # the policy covers Admins only


def test_a_trusted_browser_skips_the_step_until_it_is_forgotten(
    api_client: ApiClient,
    make_user: MakeUser,
    travel: f.Travel,
    db: Session,
    settings: Settings,
) -> None:
    client = api_client(mode="password")
    user = make_user(username="ada", email="ada@example.com")
    _with_app(client, travel)
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    cookie = trusted.trust(
        db, settings=settings, user=user, ctx=RequestContext(ip="198.51.100.4", user_agent=firefox)
    )
    db.commit()

    client.cookies.set(paths.TRUSTED_BROWSER_COOKIE, cookie)
    tokens = f.pair(_login(client))
    headers = f.bearer(tokens["access_token"])
    (browser,) = client.get("/auth/factors", headers=headers).json()["trusted_browsers"]
    assert (browser["device"], browser["ip"]) == ("Firefox on Linux", "198.51.100.4")
    assert browser["last_used_at"] is not None

    gone = client.delete(f"/auth/factors/browsers/{browser['id']}", headers=headers)
    assert gone.status_code == 204
    assert client.get("/auth/factors", headers=headers).json()["trusted_browsers"] == []
    f.error(
        client.delete(f"/auth/factors/browsers/{browser['id']}", headers=headers), 404, "not_found"
    )
    f.otp_required(_login(client))
