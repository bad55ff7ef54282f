"""Every page path, in one place."""

DASHBOARD = "/"
LOGIN = "/login"
SIGNUP = "/signup"
VERIFY = "/verify"
PROFILE = "/profile"
USERS = "/users"
API_KEYS = "/api-keys"
AUDIT = "/audit"
MAILBOX = "/dev/mailbox"

# Backend HTTP routes the browser navigates to for real (not client-side),
# because only they can set or clear the HttpOnly cookie.
SESSION_HANDOFF = "/auth/session"
SIGN_OUT = "/auth/signout"
