"""Every page path and the session cookie's name, in one place (no framework here)."""

DASHBOARD = "/"
LOGIN = "/login"
SIGNUP = "/signup"
VERIFY = "/verify"
PROFILE = "/profile"
USERS = "/users"
API_KEYS = "/api-keys"
AUDIT = "/audit"
MAILBOX = "/dev/mailbox"
FORGOT_PASSWORD = "/forgot-password"  # noqa: S105 (a path, not a password)
RESET_PASSWORD = "/reset-password"  # noqa: S105
# Where MFA_REQUIRED sends a signed-in user who has no authenticator app yet.
SETUP_MFA = "/setup-mfa"

# Backend HTTP routes the browser navigates to for real (not client-side),
# because only they can set or clear the HttpOnly cookie.
SESSION_HANDOFF = "/auth/session"
SIGN_OUT = "/auth/signout"

# Pages that show a secret (a new key, a reset link, a code) or carry one in
# their URL: answered with `Cache-Control: no-store`.
SHOWS_SECRETS = (API_KEYS, USERS, VERIFY, RESET_PASSWORD, MAILBOX, PROFILE, SETUP_MFA)

# The HttpOnly session cookie, set and cleared only by the backend routes above.
COOKIE_NAME = "token"
# The HttpOnly "trust this browser" cookie (services/factors/trusted.py).
TRUSTED_BROWSER_COOKIE = "trusted_browser"
