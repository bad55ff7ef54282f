"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import exc, text
from sqlalchemy.engine import Engine

from admin_app import models

# On SQLite and PostgreSQL (see tests/conftest.py): the migrations and the constraints they build,
# per dialect.
pytestmark = pytest.mark.both_databases


def _ours(name: str | None, type_: str, _parents: object) -> bool:
    # users_search* is SQLite's FTS5 search index (and its shadow tables), and
    # ix_users_search_trgm PostgreSQL's: raw SQL in migration 0005, not models.
    return not (name or "").startswith(("users_search", "ix_users_search"))


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn, warnings.catch_warnings():
        # Expression indexes (lower(username)) cannot be reflected on SQLite;
        # the next test checks them by behaviour instead.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": _ours}
        )
        differences = compare_metadata(context, models.metadata)
    assert differences == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Ada", "ada@example.com"), ("ada", "other@example.com")),
        (("ada", "Ada@Example.com"), ("bob", "ada@example.com")),
    ],
)
def test_usernames_and_emails_are_unique_ignoring_case(
    engine: Engine, first: tuple[str, str], second: tuple[str, str]
) -> None:
    insert = text(
        "INSERT INTO users (username, full_name, email, is_active, mfa_enabled, created_at,"
        " updated_at) VALUES (:u, 'x', :e, true, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    with engine.begin() as conn:
        conn.execute(insert, {"u": first[0], "e": first[1]})
    with pytest.raises(exc.IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"u": second[0], "e": second[1]})


def test_builtin_roles_are_seeded(engine: Engine) -> None:
    with engine.connect() as conn:
        names = {row[0] for row in conn.exec_driver_sql("SELECT name FROM roles")}
    assert names == {"Admin", "User"}
