"""Settings: the only reader of the environment.

`load_settings()` reads every variable of SPEC once, validates it and explains
what is wrong in one sentence. Nothing else in the package reads `os.environ`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import secrets
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from admin_app.env_values import SettingsError, choice, flag, integer, text
from admin_app.factor_settings import (
    FactorSettings,
    MailNotices,
    load_factor_settings,
    load_mail_notices,
)

log = logging.getLogger(__name__)

AUTH_MODES = ("otp", "password", "password+otp")
APP_ENVS = ("development", "production")
SMTP_SECURITY_MODES = ("starttls", "ssl", "none")
MIN_SECRET_BYTES = 32


@dataclasses.dataclass(frozen=True, kw_only=True)
class OAuthProvider:
    name: str
    client_id: str
    client_secret: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    app_env: str
    app_name: str
    app_url: str
    data_dir: Path
    auth_mode: str
    signup_enabled: bool
    database_url: str
    redis_url: str | None
    jwt_secret: str = dataclasses.field(repr=False)
    session_cookie_max_age: int | None
    session_idle_timeout: int
    audit_retention_days: int
    access_token_ttl: int
    refresh_token_ttl: int
    refresh_reuse_grace: int
    otp_ttl: int
    password_min_length: int
    argon2_memory_kib: int
    argon2_time_cost: int
    argon2_parallelism: int
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    smtp_host: str | None
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None = dataclasses.field(repr=False)
    smtp_security: str
    mail_from: str
    superadmin_email: str | None
    superadmin_password: str | None = dataclasses.field(repr=False)
    oauth: tuple[OAuthProvider, ...]
    microsoft_tenant: str
    google_server_metadata_url: str | None
    microsoft_server_metadata_url: str | None
    github_authorize_url: str
    github_token_url: str
    github_api_url: str
    extensions: tuple[str, ...] = ()
    factors: FactorSettings = dataclasses.field(default_factory=FactorSettings)
    notices: MailNotices = dataclasses.field(default_factory=MailNotices)

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def uses_passwords(self) -> bool:
        return self.auth_mode in ("password", "password+otp")

    @property
    def mail_is_console(self) -> bool:
        return self.smtp_host is None

    @property
    def cookie_secure(self) -> bool:
        return self.app_url.startswith("https://")

    @property
    def app_origin(self) -> str:
        parts = urlsplit(self.app_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def app_port(self) -> int:
        parts = urlsplit(self.app_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def mailbox_dir(self) -> Path:
        return self.data_dir / "mailbox"

    @property
    def app_is_loopback(self) -> bool:
        return is_loopback_host(urlsplit(self.app_url).hostname or "")

    @property
    def dev_mailbox(self) -> bool:
        """Mail kept for /dev/mailbox: development, no SMTP, and only on this machine.

        It hands sign-in codes to whoever can open it, so it never exists on
        a server that others reach.
        """
        return self.mail_is_console and not self.is_production and self.app_is_loopback

    @property
    def code_at_every_signin(self) -> bool:
        """The modes in which no sign-in finishes without a mailed code (otp, password+otp).

        `uses_passwords` and this are the only readings of AUTH_MODE: every
        other module asks them (or `signin.plan`), never compares the mode.
        """
        return self.auth_mode in ("otp", "password+otp")


def is_loopback_host(host: str) -> bool:
    """`localhost`, a name under `.localhost` (RFC 6761), or a loopback address."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _networks(raw: str | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in (raw or "").split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise SettingsError(
                    f"TRUSTED_PROXIES has {item.strip()!r}, which is not an address or CIDR."
                ) from None
    return tuple(networks)


def _app_url(env: Mapping[str, str]) -> str:
    url = (text(env, "APP_URL") or "http://localhost:3000").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"APP_URL must be an http(s) URL such as http://localhost:3000, not {url!r}."
        )
    return url


def _app_env(env: Mapping[str, str], app_url: str) -> tuple[str, str]:
    """(APP_ENV, why), where an unset APP_ENV follows APP_URL.

    A server that others reach over a network never runs with development
    defaults (a generated secret, the mailbox) by accident: without APP_ENV,
    only a loopback APP_URL means development.
    """
    if text(env, "APP_ENV") is not None:
        return choice(env, "APP_ENV", "development", APP_ENVS), ""
    if is_loopback_host(urlsplit(app_url).hostname or ""):
        return "development", ""
    return "production", (
        f" (APP_URL {app_url} is not a loopback address and APP_ENV is not set, "
        "so production rules apply)"
    )


def _jwt_secret(env: Mapping[str, str], app_env: str, why: str, data_dir: Path) -> str:
    secret = text(env, "JWT_SECRET")
    if secret is not None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long.")
        return secret
    if app_env == "production":
        raise SettingsError(
            f"JWT_SECRET is required in production{why}: at least {MIN_SECRET_BYTES} bytes; "
            'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    return _development_secret(data_dir / "jwt_secret")


def _smtp_host(env: Mapping[str, str], auth_mode: str, app_env: str, why: str) -> str | None:
    host = text(env, "SMTP_HOST")
    if host is None and app_env == "production" and auth_mode in ("otp", "password+otp"):
        raise SettingsError(
            f"SMTP_HOST is required in production{why}: AUTH_MODE={auth_mode} mails a code "
            "at every sign-in, and outside development mail is never printed to a console."
        )
    return host


def _development_secret(path: Path) -> str:
    """Read the generated development secret, creating it once.

    Written to a temporary file and linked into place, so a second worker
    starting at the same moment never reads a half-written file, and a file
    that is too short is replaced rather than trusted.
    """
    existing = path.read_text().strip() if path.exists() else ""
    if len(existing.encode()) >= MIN_SECRET_BYTES:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        if existing or path.exists():
            os.replace(temporary, path)  # too short to trust: replace it
        else:
            os.link(temporary, path)  # fails if another worker won the race
        log.warning("JWT_SECRET is not set: generated a development secret in %s", path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text().strip()


def _oauth(env: Mapping[str, str]) -> tuple[OAuthProvider, ...]:
    providers = []
    for name in ("google", "github", "microsoft"):
        client_id = text(env, f"{name.upper()}_CLIENT_ID")
        client_secret = text(env, f"{name.upper()}_CLIENT_SECRET")
        if client_id and client_secret:
            providers.append(
                OAuthProvider(name=name, client_id=client_id, client_secret=client_secret)
            )
        elif client_id or client_secret:
            raise SettingsError(
                f"{name.upper()}_CLIENT_ID and {name.upper()}_CLIENT_SECRET must be set together."
            )
    return tuple(providers)


def _modules(raw: str | None) -> tuple[str, ...]:
    names = tuple(item.strip() for item in (raw or "").split(",") if item.strip())
    for name in names:
        if not all(part.isidentifier() for part in name.split(".")):
            raise SettingsError(
                f"APP_EXTENSIONS has {name!r}, which is not a Python module name "
                "(such as mycompany.admin_pages)."
            )
    return names


def _header_safe(name: str, value: str | None) -> str | None:
    if value is not None and ("\r" in value or "\n" in value):
        raise SettingsError(f"{name} must not contain line breaks.")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from `env` (the process environment by default)."""
    env = os.environ if env is None else env
    app_url = _app_url(env)
    app_env, why_production = _app_env(env, app_url)
    auth_mode = choice(env, "AUTH_MODE", "otp", AUTH_MODES)
    data_dir = Path(text(env, "DATA_DIR") or ".admin_app").resolve()
    app_name = _header_safe("APP_NAME", text(env, "APP_NAME", "Admin")) or "Admin"
    max_age = integer(env, "SESSION_COOKIE_MAX_AGE", 0)
    jwt_secret = _jwt_secret(env, app_env, why_production, data_dir)
    smtp_host = _smtp_host(env, auth_mode, app_env, why_production)
    smtp_security = choice(env, "SMTP_SECURITY", "starttls", SMTP_SECURITY_MODES)
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[smtp_security]
    return Settings(
        app_env=app_env,
        app_name=app_name,
        app_url=app_url,
        data_dir=data_dir,
        auth_mode=auth_mode,
        signup_enabled=flag(env, "SIGNUP_ENABLED", True),
        database_url=text(env, "DATABASE_URL") or f"sqlite:///{data_dir / 'admin_app.db'}",
        redis_url=text(env, "REDIS_URL"),
        jwt_secret=jwt_secret,
        session_cookie_max_age=max_age or None,
        # NIST SP 800-63B AAL2: re-authenticate after 30 minutes without activity.
        session_idle_timeout=integer(env, "SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60, minimum=60),
        audit_retention_days=integer(env, "AUDIT_RETENTION_DAYS", 400, minimum=30),
        access_token_ttl=integer(env, "ACCESS_TOKEN_TTL_SECONDS", 15 * 60, minimum=1),
        refresh_token_ttl=integer(env, "REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600, minimum=1),
        refresh_reuse_grace=integer(env, "REFRESH_REUSE_GRACE_SECONDS", 10),
        otp_ttl=integer(env, "OTP_TTL_SECONDS", 10 * 60, minimum=1),
        password_min_length=integer(env, "PASSWORD_MIN_LENGTH", 12, minimum=8),
        argon2_memory_kib=integer(env, "ARGON2_MEMORY_KIB", 19 * 1024, minimum=8),
        argon2_time_cost=integer(env, "ARGON2_TIME_COST", 2, minimum=1),
        argon2_parallelism=integer(env, "ARGON2_PARALLELISM", 1, minimum=1),
        trusted_proxies=_networks(text(env, "TRUSTED_PROXIES")),
        smtp_host=smtp_host,
        smtp_port=integer(env, "SMTP_PORT", default_port, minimum=1),
        smtp_username=text(env, "SMTP_USERNAME"),
        smtp_password=text(env, "SMTP_PASSWORD"),
        smtp_security=smtp_security,
        mail_from=_header_safe("MAIL_FROM", text(env, "MAIL_FROM", "admin@localhost"))
        or "admin@localhost",
        superadmin_email=text(env, "SUPERADMIN_EMAIL"),
        superadmin_password=text(env, "SUPERADMIN_PASSWORD"),
        oauth=_oauth(env),
        microsoft_tenant=text(env, "MICROSOFT_TENANT", "common") or "common",
        google_server_metadata_url=text(env, "GOOGLE_SERVER_METADATA_URL"),
        microsoft_server_metadata_url=text(env, "MICROSOFT_SERVER_METADATA_URL"),
        github_authorize_url=text(env, "GITHUB_AUTHORIZE_URL")
        or "https://github.com/login/oauth/authorize",
        github_token_url=text(env, "GITHUB_TOKEN_URL")
        or "https://github.com/login/oauth/access_token",
        github_api_url=(text(env, "GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        extensions=_modules(text(env, "APP_EXTENSIONS")),
        factors=load_factor_settings(env),
        notices=load_mail_notices(env),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
