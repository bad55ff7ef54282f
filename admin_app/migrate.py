"""Apply the Alembic migrations; start-up, the CLI and the tests share this."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import Engine

from admin_app.db import get_engine
from alembic import command

ROOT = Path(__file__).resolve().parent.parent


def alembic_config() -> Config:
    return Config(str(ROOT / "alembic.ini"))


def upgrade(engine: Engine | None = None) -> None:
    """Bring the database up to the newest migration."""
    config = alembic_config()
    with (engine or get_engine()).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
