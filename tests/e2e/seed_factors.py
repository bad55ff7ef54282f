"""Second factors put on a user through the services, against an e2e server's database.

(The /profile page adds authenticator apps in a browser; these tests are about
signing in with one, so they seed it the short way: `totp.start` + `confirm`
and `recovery.generate`, as `python -c` with the server's environment.)
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time

import pyotp

from tests.e2e.conftest import ROOT, AppServer

_PRELUDE = """
import json, sys, time
import pyotp
from admin_app.db import session_scope
from admin_app.services.accounts import users
from admin_app.services.factors import recovery, totp
from admin_app.services.request_context import RequestContext
from admin_app.services.signin import mfa
from admin_app.settings import get_settings

settings = get_settings()
ctx = RequestContext.cli()
"""

_ADD_APP = """
with session_scope() as db:
    user = users.find_by_identifier(db, sys.argv[1])
    enrolment = totp.start(db, settings=settings, user=user, name="Test phone")
    # Confirmed with the step before now: the current step's code is left for the sign-in.
    code = pyotp.TOTP(enrolment.secret).at(time.time() - 30)
    confirmed = totp.confirm(
        db, settings=settings, user=user, factor_id=enrolment.factor_id, code=code
    )
    assert confirmed is not None, "the seeded app's code was refused"
    codes = recovery.generate(db, settings=settings, user_id=user.id)
print(json.dumps({"secret": enrolment.secret, "recovery_codes": codes}))
"""

_SET_PASSWORD = """
with session_scope() as db:
    user = users.find_by_identifier(db, sys.argv[1])
    users.set_password(db, settings=settings, user=user, password=sys.argv[2], ctx=ctx)
print("{}")
"""

_MFA_ON = """
with session_scope() as db:
    mfa.enable(db, settings=settings, user=users.find_by_identifier(db, sys.argv[1]), ctx=ctx)
print("{}")
"""


@dataclasses.dataclass(frozen=True)
class Authenticator:
    secret: str
    recovery_codes: list[str]

    def code(self, steps_ahead: int = 0) -> str:
        """The app's code now, or `steps_ahead` 30 s steps on (one is within the drift)."""
        return pyotp.TOTP(self.secret).at(time.time() + 30 * steps_ahead)


def _run(server: AppServer, script: str, *args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", _PRELUDE + script, *args],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def add_authenticator(server: AppServer, identifier: str) -> Authenticator:
    """A confirmed authenticator app and ten recovery codes for the user."""
    found = _run(server, _ADD_APP, identifier)
    return Authenticator(
        secret=str(found["secret"]), recovery_codes=[str(c) for c in found["recovery_codes"]]
    )


def set_password(server: AppServer, identifier: str, password: str) -> None:
    """A password change, as every face makes it (ends the user's trusted browsers)."""
    _run(server, _SET_PASSWORD, identifier, password)


def turn_email_mfa_on(server: AppServer, identifier: str) -> None:
    """The user's own "ask for an email code after my password" (password mode)."""
    _run(server, _MFA_ON, identifier)
