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

log = logging.getLogger(__name__)

AUTH_MODES = ("otp", "password", "password+otp")
APP_ENVS = ("development", "production")
SMTP_SECURITY_MODES = ("starttls", "ssl", "none")
MIN_SECRET_BYTES = 32


class SettingsError(Exception):
    """A variable of the environment is missing or wrong; the message says which."""


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


def _str(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value if value else default


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = _str(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}.")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _str(env, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}.")


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (_str(env, name) or default).lower()
    if value not in allowed:
        listed = ", ".join(allowed)
        raise SettingsError(f"{name}={value!r} is not allowed; use one of: {listed}.")
    return value


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
    url = (_str(env, "APP_URL") or "http://localhost:3000").rstrip("/")
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
    if _str(env, "APP_ENV") is not None:
        return _choice(env, "APP_ENV", "development", APP_ENVS), ""
    if is_loopback_host(urlsplit(app_url).hostname or ""):
        return "development", ""
    return "production", (
        f" (APP_URL {app_url} is not a loopback address and APP_ENV is not set, "
        "so production rules apply)"
    )


def _jwt_secret(env: Mapping[str, str], app_env: str, why: str, data_dir: Path) -> str:
    secret = _str(env, "JWT_SECRET")
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
    host = _str(env, "SMTP_HOST")
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
        client_id = _str(env, f"{name.upper()}_CLIENT_ID")
        client_secret = _str(env, f"{name.upper()}_CLIENT_SECRET")
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
    auth_mode = _choice(env, "AUTH_MODE", "otp", AUTH_MODES)
    data_dir = Path(_str(env, "DATA_DIR") or ".admin_app").resolve()
    app_name = _header_safe("APP_NAME", _str(env, "APP_NAME", "Admin")) or "Admin"
    max_age = _int(env, "SESSION_COOKIE_MAX_AGE", 0)
    jwt_secret = _jwt_secret(env, app_env, why_production, data_dir)
    smtp_host = _smtp_host(env, auth_mode, app_env, why_production)
    smtp_security = _choice(env, "SMTP_SECURITY", "starttls", SMTP_SECURITY_MODES)
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[smtp_security]
    return Settings(
        app_env=app_env,
        app_name=app_name,
        app_url=app_url,
        data_dir=data_dir,
        auth_mode=auth_mode,
        signup_enabled=_bool(env, "SIGNUP_ENABLED", True),
        database_url=_str(env, "DATABASE_URL") or f"sqlite:///{data_dir / 'admin_app.db'}",
        redis_url=_str(env, "REDIS_URL"),
        jwt_secret=jwt_secret,
        session_cookie_max_age=max_age or None,
        # NIST SP 800-63B AAL2: re-authenticate after 30 minutes without activity.
        session_idle_timeout=_int(env, "SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60, minimum=60),
        audit_retention_days=_int(env, "AUDIT_RETENTION_DAYS", 400, minimum=30),
        access_token_ttl=_int(env, "ACCESS_TOKEN_TTL_SECONDS", 15 * 60, minimum=1),
        refresh_token_ttl=_int(env, "REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600, minimum=1),
        refresh_reuse_grace=_int(env, "REFRESH_REUSE_GRACE_SECONDS", 10),
        otp_ttl=_int(env, "OTP_TTL_SECONDS", 10 * 60, minimum=1),
        password_min_length=_int(env, "PASSWORD_MIN_LENGTH", 12, minimum=8),
        argon2_memory_kib=_int(env, "ARGON2_MEMORY_KIB", 19 * 1024, minimum=8),
        argon2_time_cost=_int(env, "ARGON2_TIME_COST", 2, minimum=1),
        argon2_parallelism=_int(env, "ARGON2_PARALLELISM", 1, minimum=1),
        trusted_proxies=_networks(_str(env, "TRUSTED_PROXIES")),
        smtp_host=smtp_host,
        smtp_port=_int(env, "SMTP_PORT", default_port, minimum=1),
        smtp_username=_str(env, "SMTP_USERNAME"),
        smtp_password=_str(env, "SMTP_PASSWORD"),
        smtp_security=smtp_security,
        mail_from=_header_safe("MAIL_FROM", _str(env, "MAIL_FROM", "admin@localhost"))
        or "admin@localhost",
        superadmin_email=_str(env, "SUPERADMIN_EMAIL"),
        superadmin_password=_str(env, "SUPERADMIN_PASSWORD"),
        oauth=_oauth(env),
        microsoft_tenant=_str(env, "MICROSOFT_TENANT", "common") or "common",
        google_server_metadata_url=_str(env, "GOOGLE_SERVER_METADATA_URL"),
        microsoft_server_metadata_url=_str(env, "MICROSOFT_SERVER_METADATA_URL"),
        github_authorize_url=_str(env, "GITHUB_AUTHORIZE_URL")
        or "https://github.com/login/oauth/authorize",
        github_token_url=_str(env, "GITHUB_TOKEN_URL")
        or "https://github.com/login/oauth/access_token",
        github_api_url=(_str(env, "GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        extensions=_modules(_str(env, "APP_EXTENSIONS")),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
