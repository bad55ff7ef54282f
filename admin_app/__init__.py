"""admin_app: a Reflex admin panel whose authentication comes complete."""

import warnings

import authlib.deprecate

__version__ = "0.1.0"

# Authlib nudges towards httpx2 at every import, and turns its own warnings
# to "always" as it does; its httpx client works. A filter added after that
# one wins, so the nudge stays out of a user's terminal.
warnings.filterwarnings(
    "ignore",
    message="The httpx module is deprecated",
    category=authlib.deprecate.AuthlibDeprecationWarning,
)
