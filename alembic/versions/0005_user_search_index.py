"""substring search over users that stays an index lookup at 100k

SQLite: an FTS5 table with the trigram tokenizer (kept in step by triggers);
PostgreSQL: a pg_trgm GIN index on the same text.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_TEXT = "username || ' ' || email || ' ' || full_name"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            f"CREATE INDEX ix_users_search_trgm ON users "
            f"USING gin ((lower({SEARCH_TEXT})) gin_trgm_ops)"
        )
        return
    op.execute("CREATE VIRTUAL TABLE users_search USING fts5(text, tokenize='trigram')")
    op.execute(f"INSERT INTO users_search (rowid, text) SELECT id, {SEARCH_TEXT} FROM users")
    op.execute(
        "CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN "
        f"INSERT INTO users_search (rowid, text) VALUES (new.id, "
        f"new.username || ' ' || new.email || ' ' || new.full_name); END"
    )
    op.execute(
        "CREATE TRIGGER users_search_update AFTER UPDATE OF username, email, full_name "
        "ON users BEGIN "
        "UPDATE users_search SET text = new.username || ' ' || new.email || ' ' || "
        "new.full_name WHERE rowid = new.id; END"
    )
    op.execute(
        "CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN "
        "DELETE FROM users_search WHERE rowid = old.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_users_search_trgm")
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER users_search_{trigger}")
    op.execute("DROP TABLE users_search")
