"""A sign-up whose answer was lost: the retried code says the account exists."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD
from tests.support.smtp import SmtpServer

ApiClient = Callable[..., TestClient]


def test_the_same_code_again_says_sign_in_and_a_wrong_one_learns_nothing(
    api_client: ApiClient, smtp_server: SmtpServer
) -> None:
    client = api_client(mode="password", signup=True)
    body = {"username": "ada", "full_name": "Ada", "email": "ada@example.com", "password": PASSWORD}
    started = client.post("/auth/signup", json=body).json()
    verify = {
        "otp_session_id": started["otp_session_id"],
        "code": smtp_server.inbox.code_for("ada@example.com"),
    }
    assert client.post("/auth/verify-otp", json=verify).status_code == 200
    # The answer above was lost on its way; the client tries again.
    again = client.post("/auth/verify-otp", json=verify)
    assert again.status_code == 409
    assert again.json()["code"] == "signup_completed"
    wrong = {**verify, "code": f"{(int(verify['code']) + 1) % 1_000_000:06d}"}
    assert client.post("/auth/verify-otp", json=wrong).json()["code"] == "otp_session_invalid"
    # And the client can go on: the account signs in.
    login = client.post("/auth/login", json={"username": "ada", "password": PASSWORD})
    assert login.status_code == 200, login.text
