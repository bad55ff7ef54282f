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

# Backend HTTP routes the browser navigates to for real (not client-side),
# because only they can set or clear the HttpOnly cookie.
SESSION_HANDOFF = "/auth/session"
SIGN_OUT = "/auth/signout"

# Pages that show a secret (a new key, a reset link, a code) or carry one in
# their URL: answered with `Cache-Control: no-store`.
SHOWS_SECRETS = (API_KEYS, USERS, VERIFY, RESET_PASSWORD, MAILBOX)

# The HttpOnly session cookie, set and cleared only by the backend routes above.
COOKIE_NAME = "token"
