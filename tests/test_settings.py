"""load_settings: defaults, validation, and the development JWT secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from admin_app.settings import MIN_SECRET_BYTES, Settings, SettingsError, load_settings

SECRET = "s" * MIN_SECRET_BYTES


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _load(data_dir: Path, **env: str) -> Settings:
    return load_settings({"DATA_DIR": str(data_dir), "JWT_SECRET": SECRET, **env})


def test_defaults(data_dir: Path) -> None:
    s = _load(data_dir)
    assert s.app_env == "development"
    assert s.auth_mode == "otp"
    assert s.signup_enabled is True
    assert s.otp_ttl == 600
    assert s.access_token_ttl == 900
    assert s.refresh_token_ttl == 30 * 24 * 3600
    assert s.refresh_reuse_grace == 10
    assert s.app_url == "http://localhost:3000"
    assert s.app_name == "Admin"
    assert s.password_min_length == 12
    assert (s.argon2_memory_kib, s.argon2_time_cost, s.argon2_parallelism) == (19456, 2, 1)
    assert s.trusted_proxies == ()
    assert s.session_cookie_max_age is None
    assert s.mail_is_console is True
    assert s.oauth == ()
    assert s.microsoft_tenant == "common"
    assert s.cookie_secure is False
    assert s.data_dir == data_dir.resolve()
    assert s.database_url == f"sqlite:///{data_dir.resolve() / 'admin_app.db'}"


def test_the_environment_is_not_read_when_a_mapping_is_given(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_MODE", "password")
    assert _load(data_dir).auth_mode == "otp"


@pytest.mark.parametrize("mode", ["otp", "password", "password+otp", "PASSWORD"])
def test_known_auth_modes(data_dir: Path, mode: str) -> None:
    assert _load(data_dir, AUTH_MODE=mode).auth_mode == mode.lower()


def test_an_unknown_auth_mode_lists_the_allowed_ones(data_dir: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        _load(data_dir, AUTH_MODE="magic-link")
    message = str(refused.value)
    assert "AUTH_MODE" in message
    assert "magic-link" in message
    assert "otp, password, password+otp" in message


def test_production_requires_a_jwt_secret(data_dir: Path) -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET is required in production"):
        load_settings({"DATA_DIR": str(data_dir), "APP_ENV": "production"})
    assert not (data_dir / "jwt_secret").exists()


def test_production_does_not_fall_back_to_a_development_secret_file(data_dir: Path) -> None:
    load_settings({"DATA_DIR": str(data_dir)})
    assert (data_dir / "jwt_secret").exists()
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load_settings({"DATA_DIR": str(data_dir), "APP_ENV": "production"})


@pytest.mark.parametrize("app_env", ["development", "production"])
def test_a_short_jwt_secret_is_refused(data_dir: Path, app_env: str) -> None:
    with pytest.raises(SettingsError, match=f"at least {MIN_SECRET_BYTES} bytes"):
        _load(data_dir, APP_ENV=app_env, JWT_SECRET="s" * (MIN_SECRET_BYTES - 1))


def test_production_with_a_long_enough_secret_starts(data_dir: Path) -> None:
    s = _load(
        data_dir, APP_ENV="production", APP_URL="https://admin.example.com", AUTH_MODE="password"
    )
    assert s.is_production
    assert s.jwt_secret == SECRET
    assert s.cookie_secure is True
    assert not (data_dir / "jwt_secret").exists()


def test_development_generates_and_keeps_a_private_secret(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = load_settings({"DATA_DIR": str(data_dir)})
    path = data_dir / "jwt_secret"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.jwt_secret == path.read_text().strip()
    assert len(first.jwt_secret.encode()) >= MIN_SECRET_BYTES
    assert "JWT_SECRET is not set" in caplog.text
    second = load_settings({"DATA_DIR": str(data_dir)})
    assert second.jwt_secret == first.jwt_secret


def test_another_data_dir_gets_another_secret(tmp_path: Path) -> None:
    one = load_settings({"DATA_DIR": str(tmp_path / "one")})
    two = load_settings({"DATA_DIR": str(tmp_path / "two")})
    assert one.jwt_secret != two.jwt_secret


def test_the_secret_is_not_in_the_repr(data_dir: Path) -> None:
    s = _load(data_dir, SMTP_PASSWORD="smtp-hunter2", SUPERADMIN_PASSWORD="admin-hunter2")
    shown = repr(s)
    assert SECRET not in shown
    assert "smtp-hunter2" not in shown
    assert "admin-hunter2" not in shown


@pytest.mark.parametrize(
    "name",
    [
        "OTP_TTL_SECONDS",
        "ACCESS_TOKEN_TTL_SECONDS",
        "REFRESH_TOKEN_TTL_SECONDS",
        "SESSION_COOKIE_MAX_AGE",
        "SMTP_PORT",
        "PASSWORD_MIN_LENGTH",
    ],
)
def test_a_bad_integer_is_explained(data_dir: Path, name: str) -> None:
    with pytest.raises(SettingsError) as refused:
        _load(data_dir, **{name: "ten"})
    assert str(refused.value) == f"{name} must be a whole number, not 'ten'."


def test_an_integer_below_its_minimum_is_explained(data_dir: Path) -> None:
    with pytest.raises(SettingsError, match="PASSWORD_MIN_LENGTH must be at least 8, not 4"):
        _load(data_dir, PASSWORD_MIN_LENGTH="4")
    with pytest.raises(SettingsError, match="ACCESS_TOKEN_TTL_SECONDS must be at least 1"):
        _load(data_dir, ACCESS_TOKEN_TTL_SECONDS="0")


def test_integers_are_read(data_dir: Path) -> None:
    s = _load(data_dir, OTP_TTL_SECONDS="300", SESSION_COOKIE_MAX_AGE="86400")
    assert (s.otp_ttl, s.session_cookie_max_age) == (300, 86400)


@pytest.mark.parametrize(("raw", "value"), [("false", False), ("0", False), ("YES", True)])
def test_booleans(data_dir: Path, raw: str, value: bool) -> None:
    assert _load(data_dir, SIGNUP_ENABLED=raw).signup_enabled is value


def test_a_bad_boolean_is_explained(data_dir: Path) -> None:
    with pytest.raises(SettingsError, match="SIGNUP_ENABLED must be true or false"):
        _load(data_dir, SIGNUP_ENABLED="maybe")


@pytest.mark.parametrize("provider", ["GOOGLE", "GITHUB", "MICROSOFT"])
def test_an_oauth_id_without_its_secret_is_refused(data_dir: Path, provider: str) -> None:
    with pytest.raises(SettingsError, match=f"{provider}_CLIENT_SECRET"):
        _load(data_dir, **{f"{provider}_CLIENT_ID": "the-id"})
    with pytest.raises(SettingsError, match=f"{provider}_CLIENT_ID"):
        _load(data_dir, **{f"{provider}_CLIENT_SECRET": "the-secret"})


def test_an_oauth_provider_with_both_is_enabled(data_dir: Path) -> None:
    s = _load(data_dir, GITHUB_CLIENT_ID="the-id", GITHUB_CLIENT_SECRET="the-secret")
    assert [(p.name, p.client_id, p.client_secret) for p in s.oauth] == [
        ("github", "the-id", "the-secret")
    ]


@pytest.mark.parametrize("value", ["admin@example.com\r\nBcc: all@example.com", "a@b.c\nX: y"])
def test_line_breaks_in_mail_from_are_refused(data_dir: Path, value: str) -> None:
    with pytest.raises(SettingsError, match="MAIL_FROM must not contain line breaks"):
        _load(data_dir, MAIL_FROM=value)


def test_line_breaks_in_app_name_are_refused(data_dir: Path) -> None:
    with pytest.raises(SettingsError, match="APP_NAME"):
        _load(data_dir, APP_NAME="Admin\r\nBcc: all@example.com")


def test_smtp_security_sets_the_default_port(data_dir: Path) -> None:
    assert _load(data_dir).smtp_port == 587
    assert _load(data_dir, SMTP_SECURITY="ssl").smtp_port == 465
    assert _load(data_dir, SMTP_SECURITY="none").smtp_port == 25
    assert _load(data_dir, SMTP_SECURITY="ssl", SMTP_PORT="2465").smtp_port == 2465
    with pytest.raises(SettingsError, match="starttls, ssl, none"):
        _load(data_dir, SMTP_SECURITY="tls")


def test_trusted_proxies_are_networks(data_dir: Path) -> None:
    s = _load(data_dir, TRUSTED_PROXIES="10.0.0.0/8, 192.168.1.1,fd00::/8")
    assert [str(n) for n in s.trusted_proxies] == ["10.0.0.0/8", "192.168.1.1/32", "fd00::/8"]
    with pytest.raises(SettingsError, match=r"TRUSTED_PROXIES has 'proxy\.local'"):
        _load(data_dir, TRUSTED_PROXIES="10.0.0.1, proxy.local")


@pytest.mark.parametrize("url", ["localhost:3000", "ftp://example.com", "https://"])
def test_a_bad_app_url_is_refused(data_dir: Path, url: str) -> None:
    with pytest.raises(SettingsError, match="APP_URL"):
        _load(data_dir, APP_URL=url)


def test_app_url_loses_its_trailing_slash(data_dir: Path) -> None:
    s = _load(data_dir, APP_URL="https://admin.example.com:8443/", AUTH_MODE="password")
    assert s.app_url == "https://admin.example.com:8443"
    assert s.app_origin == "https://admin.example.com:8443"
    assert s.app_port == 8443


def test_unknown_app_env_is_refused(data_dir: Path) -> None:
    with pytest.raises(SettingsError, match="development, production"):
        _load(data_dir, APP_ENV="staging")


@pytest.mark.parametrize("stored", ["", "short"])
def test_a_short_development_secret_file_is_replaced(data_dir: Path, stored: str) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "jwt_secret").write_text(stored)
    settings = load_settings({"DATA_DIR": str(data_dir)})
    assert len(settings.jwt_secret.encode()) >= MIN_SECRET_BYTES
    assert (data_dir / "jwt_secret").read_text().strip() == settings.jwt_secret


@pytest.mark.parametrize(
    "url",
    ["http://localhost:3000", "http://127.0.0.1:8000", "http://[::1]:3000", "http://app.localhost"],
)
def test_a_loopback_app_url_is_development_by_default(data_dir: Path, url: str) -> None:
    s = load_settings({"DATA_DIR": str(data_dir), "APP_URL": url})
    assert s.app_env == "development"
    assert s.dev_mailbox is True


@pytest.mark.parametrize("url", ["https://admin.example.com", "http://10.0.0.5:3000"])
def test_a_network_app_url_without_app_env_gets_production_rules(data_dir: Path, url: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"DATA_DIR": str(data_dir), "APP_URL": url, "AUTH_MODE": "password"})
    assert "JWT_SECRET is required in production" in str(refused.value)
    assert "is not a loopback address" in str(refused.value)
    assert not (data_dir / "jwt_secret").exists()

    s = _load(data_dir, APP_URL=url, AUTH_MODE="password")
    assert s.is_production
    assert s.dev_mailbox is False


def test_development_can_still_be_chosen_for_a_network_url(data_dir: Path) -> None:
    s = _load(data_dir, APP_URL="http://10.0.0.5:3000", APP_ENV="development")
    assert s.app_env == "development"
    # The mailbox hands out codes: never on an address others can reach.
    assert s.dev_mailbox is False


@pytest.mark.parametrize("mode", ["otp", "password+otp"])
def test_production_refuses_a_mail_mode_without_smtp(data_dir: Path, mode: str) -> None:
    with pytest.raises(SettingsError, match="SMTP_HOST is required in production"):
        _load(data_dir, APP_ENV="production", AUTH_MODE=mode)
    s = _load(data_dir, APP_ENV="production", AUTH_MODE=mode, SMTP_HOST="mail.example.com")
    assert s.smtp_host == "mail.example.com"
    assert s.dev_mailbox is False


def test_production_in_password_mode_needs_no_smtp(data_dir: Path) -> None:
    s = _load(data_dir, APP_ENV="production", AUTH_MODE="password")
    assert s.mail_is_console is True
    assert s.dev_mailbox is False


def test_smtp_turns_the_dev_mailbox_off(data_dir: Path) -> None:
    assert _load(data_dir, SMTP_HOST="127.0.0.1").dev_mailbox is False


def test_extensions_are_module_names(data_dir: Path) -> None:
    s = _load(data_dir, APP_EXTENSIONS=" examples.reports, mycompany.admin_pages ,")
    assert s.extensions == ("examples.reports", "mycompany.admin_pages")
    assert _load(data_dir).extensions == ()
    with pytest.raises(SettingsError, match="APP_EXTENSIONS has 'my-pages'"):
        _load(data_dir, APP_EXTENSIONS="my-pages")


def test_the_idle_timeout(data_dir: Path) -> None:
    assert _load(data_dir).session_idle_timeout == 1800
    assert _load(data_dir, SESSION_IDLE_TIMEOUT_SECONDS="600").session_idle_timeout == 600
    with pytest.raises(SettingsError, match="SESSION_IDLE_TIMEOUT_SECONDS must be at least 60"):
        _load(data_dir, SESSION_IDLE_TIMEOUT_SECONDS="5")
