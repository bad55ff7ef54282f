"""/auth/passkeys end to end: a software authenticator plays the browser
against the real API (py_webauthn verifies), on real SMTP.

Adding one after a fresh proof, listing, signing in with one (both factors
with user verification, one without), a passkey as the second step after a
password, re-authenticating with one, and the refusals: replays, a phished
origin, a removed passkey, a disabled user, another user's attempt, a copied
authenticator, an API key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from admin_app.models import User
from tests.api import factor_helpers as f
from tests.api import passkey_helpers as p
from tests.conftest import PASSWORD
from tests.support.smtp import SmtpServer
from tests.support.soft_authenticator import SoftAuthenticator

ApiClient = Callable[..., TestClient]
MakeUser = Callable[..., User]
# Past REAUTH_MINUTES (10), and access tokens that outlive it.
STALE = 11 * 60
LONG_TOKENS = {"ACCESS_TOKEN_TTL_SECONDS": 3600}
CLONED_SUBJECT = "A sign-in with a copy of your passkey was stopped"


def _password(client: TestClient, username: str = "ada") -> Any:
    return client.post("/auth/login", json={"username": username, "password": PASSWORD})


def _signed_in(client: TestClient, username: str = "ada") -> dict[str, str]:
    return p.tokens(_password(client, username))


def _with_passkey(
    client: TestClient, username: str = "ada", **answer: Any
) -> tuple[SoftAuthenticator, dict[str, str], dict[str, Any]]:
    """`username` signs in with the password and adds a passkey: its
    authenticator, the sign-in's headers and the 201 body."""
    authenticator = SoftAuthenticator(origin=p.ORIGIN)
    headers = _signed_in(client, username)
    return authenticator, headers, p.add_passkey(client, headers, authenticator, **answer)


def _set_active(engine: Engine, user_id: int | None, active: bool) -> None:
    with Session(engine) as fresh:
        user = fresh.get(User, user_id)
        assert user is not None
        user.is_active = active
        fresh.add(user)
        fresh.commit()


@pytest.mark.both_databases
def test_adding_a_passkey_then_signing_in_with_it(
    api_client: ApiClient, make_user: MakeUser, engine: Engine, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password")
    user = make_user(username="ada", email="ada@example.com", full_name="Ada Lovelace")
    headers = _signed_in(client)
    assert client.get("/auth/passkeys", headers=headers).json() == []

    # The registration options: this site, this user, a discoverable key.
    started = p.options_of(
        client.post(
            "/auth/passkeys/register/options", json={"name": " My  laptop "}, headers=headers
        )
    )
    options = started["options"]
    assert options["rp"]["id"] == "localhost"
    assert options["user"]["name"] == "ada@example.com"
    assert options["user"]["displayName"] == "Ada Lovelace"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert {c["alg"] for c in options["pubKeyCredParams"]} == {-7, -257}
    assert options["excludeCredentials"] == []

    authenticator = SoftAuthenticator(origin=p.ORIGIN)
    made = json.loads(authenticator.register(options))
    done = client.post("/auth/passkeys/register", json={"credential": made}, headers=headers)
    assert done.status_code == 201, done.text
    added = done.json()
    assert added["passkey"]["name"] == "My laptop"
    assert added["passkey"]["last_used_at"] is None
    # The first strong factor brings the recovery codes.
    codes = added["recovery_codes"]
    assert len(set(codes)) == 10 and all(f.RECOVERY_CODE.match(c) for c in codes)
    f.wait_for_subject(smtp_server, "ada@example.com", "A second factor was added")
    assert p.audit(engine, "factor.added")[-1]["factor"] == "passkey"

    listed = client.get("/auth/passkeys", headers=headers)
    assert listed.status_code == 200, listed.text
    assert [(k["id"], k["name"]) for k in listed.json()] == [(added["passkey"]["id"], "My laptop")]
    factors = client.get("/auth/factors", headers=headers).json()
    assert [k["name"] for k in factors["passkeys"]] == ["My laptop"]
    assert factors["recovery_codes_left"] == 10
    assert factors["reauth_methods"] == ["password", "passkey", "recovery", "email"]

    # The second passkey's options exclude the first; no new recovery codes.
    second = p.add_passkey(client, headers, SoftAuthenticator(origin=p.ORIGIN), name="Phone")
    assert second["recovery_codes"] == []
    excluded = p.options_of(
        client.post("/auth/passkeys/register/options", json={"name": "x"}, headers=headers)
    )["options"]["excludeCredentials"]
    assert len(excluded) == 2

    # Signing in: the options name no account; user verification makes it both factors.
    begun = p.signin_options(client)
    assert begun["options"]["rpId"] == "localhost"
    assert begun["options"]["userVerification"] == "preferred"
    assert begun["options"].get("allowCredentials", []) == []
    answer = authenticator.authenticate(begun["options"])
    signed = p.answer_signin(client, begun["attempt_id"], answer)
    me = client.get("/auth/me", headers=p.tokens(signed))
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "ada"
    used = p.audit(engine, "passkey.used")[-1]
    assert used["user_id"] == user.id
    assert (used["ceremony"], used["name"], used["user_verified"]) == ("signin", "My laptop", True)
    succeeded = p.audit(engine, "signin.succeeded")[-1]
    assert (succeeded["user_id"], succeeded["method"]) == (user.id, "passkey")
    # Its use is shown.
    (first, _phone) = client.get("/auth/passkeys", headers=headers).json()
    assert first["last_used_at"] is not None


def test_without_user_verification_a_passkey_is_one_factor(
    api_client: ApiClient, make_user: MakeUser, smtp_server: SmtpServer
) -> None:
    # password+otp: a password and a mailed code at every sign-in.
    client = api_client(mode="password+otp")
    make_user(username="ada", email="ada@example.com")
    step = f.otp_required(_password(client))
    code = f.wait_for_code(smtp_server, "ada@example.com", 1)
    headers = p.tokens(
        client.post(
            "/auth/verify-otp", json={"otp_session_id": step["otp_session_id"], "code": code}
        )
    )
    authenticator = SoftAuthenticator(origin=p.ORIGIN)
    p.add_passkey(client, headers, authenticator)

    # With user verification: both factors, no code.
    f.pair(p.sign_in(client, authenticator))
    # Without: the passkey stands where the password stands; the mailed code follows.
    waiting = f.otp_required(p.sign_in(client, authenticator, user_verified=False))
    assert waiting["methods"] == ["email"] and waiting["code_mailed"] is True
    code = f.wait_for_code(smtp_server, "ada@example.com", 2)
    f.pair(
        client.post(
            "/auth/verify-otp", json={"otp_session_id": waiting["otp_session_id"], "code": code}
        )
    )


def test_without_user_verification_in_password_mode_tokens_follow(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    authenticator, _headers, _added = _with_passkey(client)
    # One factor, and password mode (MFA off) asks for one.
    f.pair(p.sign_in(client, authenticator, user_verified=False))


@pytest.mark.both_databases
def test_a_passkey_as_the_second_step_after_a_password(
    api_client: ApiClient, make_user: MakeUser, engine: Engine
) -> None:
    client = api_client(mode="password")
    user = make_user(username="ada", email="ada@example.com")
    authenticator, _headers, added = _with_passkey(client)

    waiting = f.otp_required(_password(client))
    assert waiting["methods"] == ["passkey", "recovery"]
    assert waiting["code_mailed"] is False
    started = p.options_of(
        client.post(
            "/auth/passkeys/factor/options", json={"otp_session_id": waiting["otp_session_id"]}
        )
    )
    # The step's user's passkeys are named.
    allowed = [c["id"] for c in started["options"]["allowCredentials"]]
    assert allowed == [authenticator.credentials[0].id_b64]
    made = json.loads(authenticator.authenticate(started["options"]))
    body = {"otp_session_id": waiting["otp_session_id"], "credential": made}
    me = client.get("/auth/me", headers=p.tokens(client.post("/auth/passkeys/factor", json=body)))
    assert me.json()["id"] == user.id
    succeeded = p.audit(engine, "signin.succeeded")[-1]
    assert succeeded["method"] == "passkey"
    assert p.audit(engine, "passkey.used")[-1]["ceremony"] == "factor"
    # The step is met once: the same answer again finds nothing waiting.
    f.error(client.post("/auth/passkeys/factor", json=body), 400, "otp_session_invalid")

    # A recovery code still meets such a step.
    waiting = f.otp_required(_password(client))
    f.pair(
        client.post(
            "/auth/verify-otp",
            json={
                "otp_session_id": waiting["otp_session_id"],
                "method": "recovery",
                "code": added["recovery_codes"][0],
            },
        )
    )


def test_a_step_without_passkey_gives_no_passkey_options(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com", mfa=True)
    waiting = f.otp_required(_password(client))
    assert waiting["methods"] == ["email"]
    f.error(
        client.post(
            "/auth/passkeys/factor/options", json={"otp_session_id": waiting["otp_session_id"]}
        ),
        400,
        "method_not_available",
    )
    f.error(
        client.post("/auth/passkeys/factor/options", json={"otp_session_id": "nope"}),
        400,
        "otp_session_invalid",
    )


def test_a_replayed_answer_is_refused(
    api_client: ApiClient, make_user: MakeUser, engine: Engine
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    authenticator, _headers, _added = _with_passkey(client)
    begun = p.signin_options(client)
    answer = authenticator.authenticate(begun["options"])
    f.pair(p.answer_signin(client, begun["attempt_id"], answer))
    f.error(p.answer_signin(client, begun["attempt_id"], answer), 400, "passkey_request_expired")
    # Nor does another attempt take it: its challenge is that attempt's own.
    other = p.signin_options(client)
    f.error(p.answer_signin(client, other["attempt_id"], answer), 400, "passkey_request_expired")
    # The unanswered attempt is still good for a real answer.
    f.pair(
        p.answer_signin(client, other["attempt_id"], authenticator.authenticate(other["options"]))
    )
    assert len(p.audit(engine, "signin.succeeded")) == 3  # the password's, and two


def test_an_answer_after_two_minutes_is_refused(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel
) -> None:
    client = api_client(mode="password", **LONG_TOKENS)
    make_user(username="ada", email="ada@example.com")
    authenticator, _headers, _added = _with_passkey(client)
    begun = p.signin_options(client)
    answer = authenticator.authenticate(begun["options"])
    travel(121)
    f.error(p.answer_signin(client, begun["attempt_id"], answer), 400, "passkey_request_expired")


def test_a_phished_origin_is_refused_and_audited(
    api_client: ApiClient, make_user: MakeUser, engine: Engine
) -> None:
    client = api_client(mode="password")
    user = make_user(username="ada", email="ada@example.com")
    authenticator, _headers, _added = _with_passkey(client)
    detail = f.error(
        p.sign_in(client, authenticator, origin="https://evil.example"), 400, "passkey_refused"
    )
    assert "evil" not in detail  # the reason is audited, never told
    (refused,) = p.audit(engine, "passkey.refused")
    assert refused["user_id"] == user.id
    assert refused["ceremony"] == "signin"
    assert "origin" in refused["reason"].lower()
    # Signed for another RP id (a look-alike site's) too.
    held = authenticator.credentials[0].credential_id
    f.error(
        p.sign_in(client, authenticator, rp_id="evil.example", credential_id=held),
        400,
        "passkey_refused",
    )
    assert len(p.audit(engine, "passkey.refused")) == 2
    assert p.audit(engine, "signin.succeeded")[-1]["method"] == "password"


def test_a_removed_passkey_and_a_disabled_user_are_refused(
    api_client: ApiClient, make_user: MakeUser, engine: Engine, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password")
    user = make_user(username="ada", email="ada@example.com")
    authenticator, headers, added = _with_passkey(client)

    _set_active(engine, user.id, False)
    f.error(p.sign_in(client, authenticator), 400, "passkey_refused")
    assert p.audit(engine, "passkey.refused")[-1]["reason"] == "disabled"
    _set_active(engine, user.id, True)
    # Enabled again: the passkey signs in (a fresh proof for the removal).
    headers = p.tokens(p.sign_in(client, authenticator))

    # Options asked before the removal; answered after it.
    begun = p.signin_options(client)
    passkey_id = added["passkey"]["id"]
    gone = client.delete(f"/auth/passkeys/{passkey_id}", headers=headers)
    assert gone.status_code == 204 and gone.content == b""
    f.wait_for_subject(smtp_server, "ada@example.com", "A second factor was removed")
    answer = authenticator.authenticate(begun["options"])
    f.error(p.answer_signin(client, begun["attempt_id"], answer), 400, "passkey_refused")
    assert p.audit(engine, "passkey.refused")[-1]["reason"] == "unknown_passkey"
    # With the last strong factor the recovery codes went; the password alone signs in.
    assert client.get("/auth/passkeys", headers=headers).json() == []
    assert client.get("/auth/factors", headers=headers).json()["recovery_codes_left"] == 0
    f.pair(_password(client))
    f.error(client.delete(f"/auth/passkeys/{passkey_id}", headers=headers), 404, "not_found")


def test_another_users_step_or_passkey_is_refused(
    api_client: ApiClient, make_user: MakeUser, engine: Engine
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    bob = make_user(username="bob", email="bob@example.com")
    ada_key, ada_headers, ada_added = _with_passkey(client, "ada")
    bob_key, bob_headers, _bob_added = _with_passkey(client, "bob")

    # Bob's factor step, met with Ada's passkey: refused.
    waiting = f.otp_required(_password(client, "bob"))
    started = p.options_of(
        client.post(
            "/auth/passkeys/factor/options", json={"otp_session_id": waiting["otp_session_id"]}
        )
    )
    made = ada_key.authenticate(
        started["options"], credential_id=ada_key.credentials[0].credential_id
    )
    f.error(
        client.post(
            "/auth/passkeys/factor",
            json={"otp_session_id": waiting["otp_session_id"], "credential": json.loads(made)},
        ),
        400,
        "passkey_refused",
    )
    refused = p.audit(engine, "passkey.refused")[-1]
    assert (refused["user_id"], refused["reason"]) == (bob.id, "other_user")

    # An answer to Bob's step's options posted for another step: not that step's challenge.
    other = f.otp_required(_password(client, "bob"))
    started = p.options_of(
        client.post(
            "/auth/passkeys/factor/options", json={"otp_session_id": waiting["otp_session_id"]}
        )
    )
    made = bob_key.authenticate(started["options"])
    f.error(
        client.post(
            "/auth/passkeys/factor",
            json={"otp_session_id": other["otp_session_id"], "credential": json.loads(made)},
        ),
        400,
        "passkey_request_expired",
    )

    # Ada's passkey with Bob's user handle: refused.
    f.error(
        p.sign_in(client, ada_key, user_handle=bob_key.credentials[0].user_handle),
        400,
        "passkey_refused",
    )
    # Bob cannot remove Ada's passkey.
    f.error(
        client.delete(f"/auth/passkeys/{ada_added['passkey']['id']}", headers=bob_headers),
        404,
        "not_found",
    )
    assert len(client.get("/auth/passkeys", headers=ada_headers).json()) == 1

    # Bob's re-authentication options, answered by Ada's passkey (which is not among them).
    started = p.options_of(client.post("/auth/reauthenticate/passkey-options", headers=bob_headers))
    made = ada_key.authenticate(
        started["options"], credential_id=ada_key.credentials[0].credential_id
    )
    f.error(
        client.post(
            "/auth/reauthenticate",
            json={"method": "passkey", "credential": json.loads(made)},
            headers=bob_headers,
        ),
        400,
        "passkey_refused",
    )
    # Nor can Ada's sign-in answer Bob's re-authentication challenge: it is bound to his tokens.
    started = p.options_of(client.post("/auth/reauthenticate/passkey-options", headers=bob_headers))
    made = ada_key.authenticate(
        started["options"], credential_id=ada_key.credentials[0].credential_id
    )
    f.error(
        client.post(
            "/auth/reauthenticate",
            json={"method": "passkey", "credential": json.loads(made)},
            headers=ada_headers,
        ),
        400,
        "passkey_request_expired",
    )


def test_a_copied_authenticator_is_refused_audited_and_mailed(
    api_client: ApiClient, make_user: MakeUser, engine: Engine, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password")
    user = make_user(username="ada", email="ada@example.com")
    authenticator, _headers, _added = _with_passkey(client)
    f.pair(p.sign_in(client, authenticator))  # counter 1
    copy = authenticator.clone()
    f.pair(p.sign_in(client, authenticator))  # counter 2
    # The copy's counter says 2 as well: seen already.
    f.error(p.sign_in(client, copy), 400, "passkey_refused")
    (warning,) = p.audit(engine, "passkey.clone_warning")
    assert warning["user_id"] == user.id
    assert (warning["counter"], warning["stored"]) == (2, 2)
    mail = f.wait_for_subject(smtp_server, "ada@example.com", CLONED_SUBJECT)
    assert "Laptop" in mail.get_body(preferencelist=("plain",)).get_content()
    # A counter set back is refused too.
    f.error(p.sign_in(client, authenticator, sign_count=1), 400, "passkey_refused")
    assert len(p.audit(engine, "passkey.clone_warning")) == 2


def test_adding_or_removing_a_passkey_needs_a_fresh_proof(
    api_client: ApiClient, make_user: MakeUser, travel: f.Travel, engine: Engine
) -> None:
    client = api_client(mode="password", **LONG_TOKENS)
    make_user(username="ada", email="ada@example.com")
    headers = _signed_in(client)
    travel(STALE)
    start = {"json": {"name": "Laptop"}, "headers": headers}
    f.error(
        client.post("/auth/passkeys/register/options", **start), 401, "reauthentication_required"
    )
    done = client.post(
        "/auth/reauthenticate", json={"method": "password", "password": PASSWORD}, headers=headers
    )
    assert done.status_code == 204, done.text
    authenticator = SoftAuthenticator(origin=p.ORIGIN)
    added = p.add_passkey(client, headers, authenticator)

    # Stale again: removing it asks for a proof, which the passkey itself gives.
    travel(STALE)
    passkey_id = added["passkey"]["id"]
    f.error(
        client.delete(f"/auth/passkeys/{passkey_id}", headers=headers),
        401,
        "reauthentication_required",
    )
    started = p.options_of(client.post("/auth/reauthenticate/passkey-options", headers=headers))
    assert [c["id"] for c in started["options"]["allowCredentials"]] == [
        authenticator.credentials[0].id_b64
    ]
    made = json.loads(authenticator.authenticate(started["options"]))
    proof = {"method": "passkey", "credential": made}
    done = client.post("/auth/reauthenticate", json=proof, headers=headers)
    assert done.status_code == 204, done.text
    assert p.audit(engine, "passkey.used")[-1]["ceremony"] == "reauthenticate"
    # The same answer again is spent.
    f.error(
        client.post("/auth/reauthenticate", json=proof, headers=headers),
        400,
        "passkey_request_expired",
    )
    assert client.delete(f"/auth/passkeys/{passkey_id}", headers=headers).status_code == 204
    # No passkey left: none to re-authenticate with.
    f.error(
        client.post("/auth/reauthenticate/passkey-options", headers=headers),
        400,
        "passkey_refused",
    )
    f.error(
        client.post("/auth/reauthenticate", json=proof, headers=headers),
        400,
        "method_not_available",
    )


def test_an_api_key_is_refused_on_the_own_passkey_routes(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    _authenticator, headers, added = _with_passkey(client)
    created = client.post(
        "/api/keys", json={"name": "ci", "permissions": ["api_keys:write"]}, headers=headers
    )
    assert created.status_code == 201, created.text
    key = {"X-API-Key": created.json()["key"]}
    for method, path, body in [
        ("GET", "/auth/passkeys", None),
        ("POST", "/auth/passkeys/register/options", {"name": "Laptop"}),
        ("POST", "/auth/passkeys/register", {"credential": {"id": "x"}}),
        ("DELETE", f"/auth/passkeys/{added['passkey']['id']}", None),
        ("POST", "/auth/reauthenticate/passkey-options", None),
        ("POST", "/auth/reauthenticate", {"method": "passkey", "credential": {"id": "x"}}),
    ]:
        answer = client.request(method, path, json=body, headers=key)
        detail = f.error(answer, 403, "key_cannot_manage_keys")
        assert "access token" in detail, path
    assert len(client.get("/auth/passkeys", headers=headers).json()) == 1
    # And without any credential: 401.
    f.error(client.get("/auth/passkeys"), 401, "not_authenticated")
    f.error(
        client.post("/auth/passkeys/register/options", json={"name": "x"}),
        401,
        "not_authenticated",
    )


def test_bad_answers_are_refused(api_client: ApiClient, make_user: MakeUser) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    authenticator, headers, _added = _with_passkey(client)
    begun = p.signin_options(client)
    # Not an object: the schema refuses it.
    answer = authenticator.authenticate(begun["options"])
    f.error(
        client.post(
            "/auth/passkeys/signin", json={"attempt_id": begun["attempt_id"], "credential": answer}
        ),
        422,
        "invalid_request",
    )
    f.error(
        client.post("/auth/passkeys/signin", json={"attempt_id": begun["attempt_id"]}),
        422,
        "invalid_request",
    )
    # An object that is no credential.
    f.error(
        client.post(
            "/auth/passkeys/signin",
            json={"attempt_id": begun["attempt_id"], "credential": {"id": "x"}},
        ),
        400,
        "passkey_refused",
    )
    # A signature that does not verify.
    broken = json.loads(answer)
    broken["response"]["signature"] = broken["response"]["signature"][::-1]
    f.error(
        client.post(
            "/auth/passkeys/signin", json={"attempt_id": begun["attempt_id"], "credential": broken}
        ),
        400,
        "passkey_refused",
    )
    # A registration answer from another origin.
    started = p.options_of(
        client.post("/auth/passkeys/register/options", json={"name": "x"}, headers=headers)
    )
    made = SoftAuthenticator(origin="https://evil.example").register(started["options"])
    f.error(
        client.post(
            "/auth/passkeys/register", json={"credential": json.loads(made)}, headers=headers
        ),
        400,
        "passkey_refused",
    )
    assert len(client.get("/auth/passkeys", headers=headers).json()) == 1
    # Too long a name is the schema's; too large a body the body limit's.
    f.error(
        client.post("/auth/passkeys/register/options", json={"name": "x" * 201}, headers=headers),
        422,
        "invalid_request",
    )
    huge = {"attempt_id": begun["attempt_id"], "credential": {"id": "x" * 70_000}}
    f.error(client.post("/auth/passkeys/signin", json=huge), 413, "body_too_large")


def test_a_user_with_only_a_passkey_meets_the_mfa_policy(
    api_client: ApiClient, make_user: MakeUser
) -> None:
    client = api_client(mode="password")
    make_user(username="ada", email="ada@example.com")
    make_user(username="bob", email="bob@example.com")
    authenticator, _headers, _added = _with_passkey(client)

    strict = api_client(mode="password", MFA_REQUIRED="all")
    f.error(_password(strict, "bob"), 403, "mfa_enrollment_required")
    # Ada's passkey counts as her strong factor: tokens by passkey, and after a password.
    me = strict.get("/auth/me", headers=p.tokens(p.sign_in(strict, authenticator)))
    assert me.json()["username"] == "ada"
    waiting = f.otp_required(_password(strict))
    assert "passkey" in waiting["methods"]
    f.pair(p.meet_step(strict, waiting["otp_session_id"], authenticator))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_schema_documents_the_passkey_routes(api_client: ApiClient) -> None:
    document = api_client(mode="password").get("/openapi.json").json()
    paths = document["paths"]
    for path, method in [
        ("/auth/passkeys/signin/options", "post"),
        ("/auth/passkeys/signin", "post"),
        ("/auth/passkeys/factor/options", "post"),
        ("/auth/passkeys/factor", "post"),
        ("/auth/passkeys", "get"),
        ("/auth/passkeys/register/options", "post"),
        ("/auth/passkeys/register", "post"),
        ("/auth/passkeys/{passkey_id}", "delete"),
        ("/auth/reauthenticate/passkey-options", "post"),
    ]:
        operation = paths[path][method]
        assert operation["tags"] == ["passkeys"], path
        assert operation.get("description"), path
        assert {"400", "401", "403", "422"} <= set(operation["responses"]), path
    assert "201" in paths["/auth/passkeys/register"]["post"]["responses"]
    assert "204" in paths["/auth/passkeys/{passkey_id}"]["delete"]["responses"]
    answers = paths["/auth/passkeys/signin"]["post"]["responses"]["200"]["content"]
    refs = {
        item["$ref"].rsplit("/", 1)[1] for item in answers["application/json"]["schema"]["anyOf"]
    }
    assert refs == {"TokensOut", "OtpRequiredOut"}
    schemas = document["components"]["schemas"]
    assert "credential" in schemas["ReauthIn"]["properties"]
    assert "passkey" in json.dumps(schemas["ReauthIn"]["properties"]["method"])
    assert "passkeys" in schemas["FactorsOut"]["properties"]
    assert set(schemas["PasskeyOut"]["properties"]) == p.PASSKEY_KEYS
