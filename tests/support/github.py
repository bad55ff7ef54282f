"""A small local server playing GitHub's OAuth app endpoints and REST API, on loopback.

    GET  /login/oauth/authorize      consents at once: back to redirect_uri with a
                                     code and the same state (or error=access_denied
                                     when `deny` is set)
    POST /login/oauth/access_token   code -> {"access_token", "token_type": "bearer"};
                                     checks the client, the redirect_uri and PKCE
    GET  /user, GET /user/emails     the profile of the user the code was issued for

Like GitHub, token errors are answered 200 with an `error` field. Requests are
recorded so tests can assert on what the client sent.

    with GitHubProvider() as github:
        github.user = GitHubUser(id=1, login="octocat", name="Mona", emails=[...])
        GITHUB_AUTHORIZE_URL=github.authorize_url, GITHUB_TOKEN_URL=github.token_url,
        GITHUB_API_URL=github.api_url, GITHUB_CLIENT_ID=github.client_id ...
        callback_url = github.authorize(authorize_url_from_the_app)
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import httpx

from tests.support.oidc import pkce_matches


@dataclasses.dataclass(frozen=True, kw_only=True)
class GitHubEmail:
    email: str
    primary: bool = False
    verified: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "primary": self.primary,
            "verified": self.verified,
            "visibility": "private",
        }


@dataclasses.dataclass(frozen=True, kw_only=True)
class GitHubUser:
    id: int
    login: str
    name: str | None = None
    emails: tuple[GitHubEmail, ...] = ()


@dataclasses.dataclass
class _Grant:
    user: GitHubUser
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str | None


class GitHubProvider:
    """The fake GitHub in a thread of this process; `user` is who signs in next."""

    def __init__(self, *, client_id: str = "gh-client", client_secret: str | None = None) -> None:
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_hex(10)
        self.user: GitHubUser | None = None
        self.deny = False
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, GitHubUser] = {}
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=5)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> GitHubProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._http.close()

    def __enter__(self) -> GitHubProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/login/oauth/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.url}/login/oauth/access_token"

    @property
    def api_url(self) -> str:
        return self.url

    def env(self) -> dict[str, str]:
        """The app's variables that point its GitHub sign-in here."""
        return {
            "GITHUB_CLIENT_ID": self.client_id,
            "GITHUB_CLIENT_SECRET": self.client_secret,
            "GITHUB_AUTHORIZE_URL": self.authorize_url,
            "GITHUB_TOKEN_URL": self.token_url,
            "GITHUB_API_URL": self.api_url,
        }

    def reset(self) -> None:
        with self._lock:
            self.user = None
            self.deny = False
            self.authorize_requests.clear()
            self.token_requests.clear()

    def authorize(self, authorize_url: str) -> str:
        """Act as the browser at GitHub; returns where GitHub sends the browser back."""
        assert authorize_url.startswith(self.authorize_url), authorize_url
        answer = self._http.get(authorize_url)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    # The endpoints, called from the handler thread.

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.authorize_requests.append(query)
            user, deny = self.user, self.deny
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return 404, {}, b"Not Found: unknown OAuth application"
        back: dict[str, str] = {}
        if deny or user is None:
            back["error"] = "access_denied"
            back["error_description"] = "The user has denied your application access."
        else:
            code = secrets.token_hex(10)
            with self._lock:
                self._codes[code] = _Grant(
                    user=user,
                    client_id=self.client_id,
                    redirect_uri=redirect_uri,
                    challenge=query.get("code_challenge"),
                    method=query.get("code_challenge_method"),
                )
            back["code"] = code
        if "state" in query:
            back["state"] = query["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return 302, {"Location": f"{redirect_uri}{separator}{urlencode(back)}"}, b""

    def _token(self, form: dict[str, str], authorization: str) -> dict[str, Any]:
        with self._lock:
            self.token_requests.append({**form, "authorization": authorization})
            grant = self._codes.pop(form.get("code", ""), None)
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization.lower().startswith("basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = (unquote(p) for p in decoded.partition(":"))
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return {"error": "incorrect_client_credentials"}
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return {"error": "bad_verification_code"}
        if grant.challenge is not None and not pkce_matches(
            form.get("code_verifier"), grant.challenge, grant.method or "plain"
        ):
            return {"error": "bad_verification_code", "error_description": "PKCE mismatch"}
        token = "gho_" + secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = grant.user
        return {"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}

    def _api(self, path: str, authorization: str) -> tuple[int, Any]:
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            user = self._tokens.get(token) if scheme.lower() in ("bearer", "token") else None
        if user is None:
            return 401, {"message": "Bad credentials"}
        if path == "/user":
            return 200, {"id": user.id, "login": user.login, "name": user.name, "email": None}
        if path == "/user/emails":
            return 200, [email.as_json() for email in user.emails]
        return 404, {"message": "Not Found"}


def _handler(provider: GitHubProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/login/oauth/authorize":
                status, headers, body = provider._authorize(dict(parse_qsl(parts.query)))
                self._answer(status, headers, body)
            else:
                status, payload = provider._api(parts.path, self.headers.get("Authorization", ""))
                self._json(status, payload)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if urlsplit(self.path).path != "/login/oauth/access_token":
                self._json(404, {"message": "Not Found"})
                return
            self._json(200, provider._token(form, self.headers.get("Authorization", "")))

        def _json(self, status: int, payload: Any) -> None:
            self._answer(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
