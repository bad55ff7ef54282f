"""Alembic environment: the SQLModel metadata, and the engine of admin_app.db.

A caller may hand a connection in `config.attributes["connection"]` (tests and
start-up do), otherwise the engine comes from settings.
"""

from __future__ import annotations

from admin_app import models
from admin_app.db import get_engine
from alembic import context

target_metadata = models.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The user search index is raw SQL in migration 0005, not a model.
        include_name=lambda name, _type, _parents: (
            not (name or "").startswith(("users_search", "ix_users_search"))
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with get_engine().connect() as conn:
        _run(conn)
        conn.commit()
