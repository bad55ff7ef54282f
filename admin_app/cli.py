"""Command line: `python -m admin_app create-admin | reset-password | reset-factors | migrate |
build | serve`.

Prompts when a value is not given by flag; `--password-stdin` reads the
password from standard input for scripts. Bad input prints one line and
exits non-zero having written nothing.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from admin_app import migrate
from admin_app.db import dispose_all, session_scope
from admin_app.errors import DomainError, NotFound
from admin_app.services.accounts import users
from admin_app.services.accounts.bootstrap import ensure_superadmin
from admin_app.services.factors import account as factor_account
from admin_app.services.request_context import RequestContext
from admin_app.settings import SettingsError, get_settings


class CliError(Exception):
    """Shown to the user as one line, with exit status 1."""


def _ask(prompt: str) -> str:
    # Piped answers are not echoed: end the prompt's line so that any error
    # that follows starts a line of its own.
    print(prompt, end="" if sys.stdin.isatty() else "\n", file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    if not line:
        raise CliError("no input: give the value by flag or answer the prompt")
    return line.rstrip("\r\n")


def _value(given: str | None, prompt: str) -> str:
    """A flag's value when given (even empty: that is refused later), else a prompt."""
    return given if given is not None else _ask(prompt)


def _ask_secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return _ask(prompt)


def _new_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise CliError("--password-stdin: no password on standard input")
        return line.rstrip("\r\n")
    password = _ask_secret("Password: ")
    if _ask_secret("Password (again): ") != password:
        raise CliError("the two passwords differ")
    return password


def create_admin(args: argparse.Namespace) -> str:
    settings = get_settings()
    username = _value(args.username, "Username: ")
    full_name = _value(args.full_name, "Full name: ")
    email = _value(args.email, "Email: ")
    password = _new_password(args)
    data = users.NewUser(
        username=username, full_name=full_name, email=email, password=password, is_admin=True
    )
    # Validate (cheap) before hashing and writing, so bad input costs nothing.
    users.validate_new_user(settings, data)
    migrate.upgrade()
    with session_scope() as session:
        user = users.create_user(session, settings=settings, data=data, ctx=RequestContext.cli())
        return f"Created admin {user.username} <{user.email}>."


def reset_password(args: argparse.Namespace) -> str:
    settings = get_settings()
    email = _value(args.email, "Email: ")
    migrate.upgrade()
    with session_scope() as session:
        user = users.find_by_identifier(session, users.normalise_email(email))
        if user is None:
            raise NotFound(f"no user with the email {email.strip()}")
        password = _new_password(args)
        users.set_password(
            session,
            settings=settings,
            user=user,
            password=password,
            ctx=RequestContext.cli(),
            kind="password.reset",
        )
        return (
            f"Password reset for {user.username}; their sessions were signed out "
            "and their API keys revoked."
        )


def reset_factors(args: argparse.Namespace) -> str:
    """The escape hatch for a lost authenticator app (say, the only Admin's)."""
    settings = get_settings()
    email = _value(args.email, "Email: ")
    migrate.upgrade()
    with session_scope() as session:
        user = users.find_by_identifier(session, users.normalise_email(email))
        if user is None:
            raise NotFound(f"no user with the email {email.strip()}")
        factor_account.reset_all(
            session, settings=settings, user=user, ctx=RequestContext.cli(), actor_id=None
        )
        return (
            f"Second factors reset for {user.username}: their authenticator apps, recovery "
            "codes and trusted browsers are gone."
        )


def run_migrations(_args: argparse.Namespace) -> str:
    migrate.upgrade()
    return "Database is up to date."


def run_server(args: argparse.Namespace) -> str:
    from admin_app.server import serve
    from admin_app.startup import summary

    settings = get_settings()
    port = args.port or settings.app_port
    migrate.upgrade()
    with session_scope() as session:
        ensure_superadmin(session, settings=settings)
    # Granian forks its workers from this process: it keeps no connection.
    dispose_all()
    print(summary(settings, host=args.host, port=port), flush=True)
    serve(host=args.host, port=port)
    return "Server stopped."


def build_frontend(args: argparse.Namespace) -> str:
    from admin_app.frontend_build import build

    built = build(get_settings(), force=args.force)
    return "Frontend built." if built else "Frontend is up to date."


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m admin_app", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create-admin", help="create a user with the Admin role")
    create.add_argument("--username")
    create.add_argument("--full-name")
    create.add_argument("--email")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    create.set_defaults(handler=create_admin)

    reset = commands.add_parser("reset-password", help="set a new password for a user")
    reset.add_argument("--email")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    reset.set_defaults(handler=reset_password)

    factors = commands.add_parser(
        "reset-factors", help="remove a user's authenticator apps and recovery codes"
    )
    factors.add_argument("--email")
    factors.set_defaults(handler=reset_factors)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(
        handler=run_migrations
    )
    build = commands.add_parser("build", help="build the frontend if its sources changed")
    build.add_argument("--force", action="store_true")
    build.set_defaults(handler=build_frontend)

    serve = commands.add_parser("serve", help="serve the built app (pages and API) on one port")
    serve.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to listen on every interface")
    serve.add_argument("--port", type=int, help="default: the port of APP_URL")
    serve.set_defaults(handler=run_server)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(args.handler(args))
    except (CliError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ncancelled", file=sys.stderr)
        return 130
    return 0
