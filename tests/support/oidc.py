"""A real OpenID Connect provider on loopback (oidc-provider-mock), playing Google or Microsoft.

oidc-provider-mock is a Flask app built on Authlib's authorization server: a
discovery document, an authorize page where a user `sub` is typed in (or
"Deny" pressed), a token endpoint issuing RS256 ID tokens that carry the
request's nonce, and `PUT /users/<sub>` to set the claims a user's tokens
carry. It accepts any client id and secret.

It does not check PKCE, so a thin WSGI layer in front of it does, as Google
and Microsoft do: it remembers each code's `code_challenge` and refuses, with
`invalid_grant`, a token request whose `code_verifier` does not match. The
same layer records every authorize request (to assert on state, nonce and
PKCE parameters) and can swap the nonce of the next authorization, to prove
that the client checks the ID token's nonce.

    with OidcProvider() as provider:
        provider.set_user("sub-1", {"email": "ada@example.com", "email_verified": True})
        GOOGLE_SERVER_METADATA_URL=provider.metadata_url
        callback_url = provider.authorize(authorize_url_from_the_app, sub="sub-1")
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx
import oidc_provider_mock

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of `verifier` (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_matches(verifier: str | None, challenge: str, method: str) -> bool:
    if not verifier:
        return False
    expected = s256(verifier) if method == "S256" else verifier
    return hmac.compare_digest(expected, challenge)


class _PkceAndRecorder:
    """WSGI middleware: records authorize requests, checks PKCE at the token endpoint."""

    def __init__(self, app: WsgiApp, provider: OidcProvider) -> None:
        self.app = app
        self.provider = provider

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize":
            return self._authorize(environ, start_response)
        if path == "/oauth2/token" and environ.get("REQUEST_METHOD") == "POST":
            return self._token(environ, start_response)
        return self.app(environ, start_response)

    def _authorize(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        provider = self.provider
        if environ.get("REQUEST_METHOD") == "GET":
            with provider._lock:
                provider.authorize_requests.append(query)
            return self.app(environ, start_response)
        with provider._lock:
            swap, provider._next_nonce = provider._next_nonce, None
        if swap is not None:
            # The code (and so the ID token) gets another nonce than the client sent.
            environ["QUERY_STRING"] = urlencode({**query, "nonce": swap})

        def remember_code(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            location = next((v for k, v in headers if k.lower() == "location"), "")
            code = parse_qs(urlsplit(location).query).get("code", [None])[0]
            if code and query.get("code_challenge"):
                with provider._lock:
                    provider._challenges[code] = (
                        query["code_challenge"],
                        query.get("code_challenge_method", "plain"),
                    )
            return start_response(status, headers, *rest)

        return self.app(environ, remember_code)

    def _token(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        provider = self.provider
        with provider._lock:
            provider.token_requests.append(form)
            expected = provider._challenges.pop(form.get("code", ""), None)
        if expected is not None and not pkce_matches(form.get("code_verifier"), *expected):
            answer = json.dumps(
                {"error": "invalid_grant", "error_description": "PKCE verification failed"}
            ).encode()
            start_response(
                "400 Bad Request",
                [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))],
            )
            return [answer]
        return self.app(environ, start_response)


class OidcProvider:
    """oidc-provider-mock on a free loopback port, in a thread of this process."""

    def __init__(self) -> None:
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self._challenges: dict[str, tuple[str, str]] = {}
        self._next_nonce: str | None = None
        self._lock = threading.Lock()
        self._stack = contextlib.ExitStack()
        self._http = httpx.Client(timeout=5)  # one client: building one costs ~30 ms
        self.port = 0

    def start(self) -> OidcProvider:
        # require_nonce: an OpenID authorize request without a nonce is refused.
        server = self._stack.enter_context(
            oidc_provider_mock.run_server_in_thread(port=0, require_nonce=True)
        )
        # werkzeug looks the app up on the server for every request: put the
        # PKCE check and the recorder in front of it before the first one.
        server.app = _PkceAndRecorder(server.app, self)
        self.port = int(server.server_port)
        return self

    def stop(self) -> None:
        self._http.close()
        self._stack.close()

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        # The issuer is the host the discovery document was asked from: always this one.
        return f"http://127.0.0.1:{self.port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def reset(self) -> None:
        """Forget recorded requests (users and their claims stay)."""
        with self._lock:
            self.authorize_requests.clear()
            self.token_requests.clear()
            self._next_nonce = None

    def set_user(self, sub: str, claims: dict[str, object]) -> None:
        """The claims (email, email_verified, name, xms_edov ...) of `sub`'s next tokens."""
        answer = self._http.put(f"{self.url}/users/{sub}", json=claims)
        assert answer.status_code == 204, answer.text

    def swap_next_nonce(self, nonce: str) -> None:
        """Issue the next code (and ID token) with `nonce` instead of the client's."""
        with self._lock:
            self._next_nonce = nonce

    def authorize(self, authorize_url: str, *, sub: str | None = None, deny: bool = False) -> str:
        """Act as the browser on the provider's page; returns where it sends the browser back.

        Loads the authorize page (as a browser would), then submits its form:
        the `sub` field, or the "Deny" button.
        """
        assert authorize_url.startswith(self.url), authorize_url
        self._http.cookies.clear()
        page = self._http.get(authorize_url)
        assert page.status_code == 200, page.text
        assert 'name="sub"' in page.text
        form = {"action": "deny"} if deny else {"sub": sub or ""}
        answer = self._http.post(authorize_url, data=form)
        assert answer.status_code in (302, 303), answer.text
        return answer.headers["location"]
