"""Reading one environment variable as text, a number, a flag or a choice.

Every reader explains a wrong value in one sentence (`SettingsError`).
"""

from __future__ import annotations

from collections.abc import Mapping


class SettingsError(Exception):
    """A variable of the environment is missing or wrong; the message says which."""


def text(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value if value else default


def integer(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = text(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}.")
    return value


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = text(env, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}.")


def choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (text(env, name) or default).lower()
    if value not in allowed:
        listed = ", ".join(allowed)
        raise SettingsError(f"{name}={value!r} is not allowed; use one of: {listed}.")
    return value
