"""The app's variables for every OAuth provider, pointed at the local ones of tests/support."""

from __future__ import annotations

from tests.support.github import GitHubProvider
from tests.support.oidc import OidcProvider


def providers_env(github: GitHubProvider, oidc: OidcProvider) -> dict[str, str]:
    """GitHub at `github`; Google and Microsoft both at the one OpenID provider `oidc`."""
    return {
        **github.env(),
        "GOOGLE_CLIENT_ID": "google-client",
        "GOOGLE_CLIENT_SECRET": "google-secret",
        "GOOGLE_SERVER_METADATA_URL": oidc.metadata_url,
        "MICROSOFT_CLIENT_ID": "microsoft-client",
        "MICROSOFT_CLIENT_SECRET": "microsoft-secret",
        "MICROSOFT_SERVER_METADATA_URL": oidc.metadata_url,
    }
