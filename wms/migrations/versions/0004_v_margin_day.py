"""margin_day: the margin reports' daily summary, and margin_stale with the triggers that mark
the days whose facts, orders, lines, attributions or returns changed

Revision ID: 0004v
Revises: 0004r
Create Date: 2026-12-02 02:10:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004v"
down_revision = "0004r"
branch_labels = None
depends_on = None

# (table, the order id of a row X of it); sales_order's own day is read from X directly.
WATCHED = (
    ("money_fact", "X.order_id", "INSERT OR UPDATE OR DELETE"),
    ("order_line", "X.order_id", "INSERT OR UPDATE OF order_id, sku, name, qty OR DELETE"),
    ("line_attribution", "X.order_id", "INSERT OR UPDATE OR DELETE"),
    ("return_line", "(SELECT order_id FROM order_line WHERE id = X.order_line_id)",
     "INSERT OR UPDATE OR DELETE"),
    ("sales_order", None, "UPDATE OF status, placed_at, created_at, channel_id OR DELETE"),
)  # fmt: skip


def _sqlite_mark(table: str, order_id: str | None, row: str) -> str:
    if order_id is None:
        day = f"substr(coalesce({row}.placed_at, {row}.created_at), 1, 10)"
        return f"INSERT OR IGNORE INTO margin_stale(day) VALUES ({day});"
    return (
        "INSERT OR IGNORE INTO margin_stale(day) SELECT substr(coalesce(placed_at, "
        f"created_at), 1, 10) FROM sales_order WHERE id = {order_id.replace('X', row)};"
    )


def _pg_mark(order_id: str | None, row: str) -> str:
    if order_id is None:
        when = f"coalesce({row}.placed_at, {row}.created_at)"
        day = f"CAST(CAST(timezone('UTC', {when}) AS date) AS text)"
        return f"INSERT INTO margin_stale(day) VALUES ({day}) ON CONFLICT DO NOTHING;"
    return (
        "INSERT INTO margin_stale(day) SELECT CAST(CAST(timezone('UTC', coalesce(placed_at, "
        "created_at)) AS date) AS text) FROM sales_order WHERE id = "
        f"{order_id.replace('X', row)} ON CONFLICT DO NOTHING;"
    )


def upgrade() -> None:
    op.create_table(
        "margin_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("grp", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        *[
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in (
                "revenue",
                "goods",
                "fee",
                "commission",
                "shipping",
                "packaging",
                "returns",
                "units",
                "orders",
                "returned",
            )
        ],  # fmt: skip
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_margin_day_grp_day", "margin_day", ["grp", "channel_id", "day"])
    op.create_table(
        "margin_stale",
        sa.Column("day", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    # Every day starts stale: the first refresh builds the summary from the facts there are.
    op.execute(
        "INSERT INTO margin_stale(day) SELECT DISTINCT "
        + (
            "substr(coalesce(placed_at, created_at), 1, 10)"
            if op.get_bind().dialect.name == "sqlite"
            else "CAST(CAST(timezone('UTC', coalesce(placed_at, created_at)) AS date) AS text)"
        )
        + " FROM sales_order"
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, order_id, events in WATCHED:
        if sqlite:
            for event in events.split(" OR "):
                verb = event.split()[0]
                rows = {"INSERT": ("NEW",), "DELETE": ("OLD",)}.get(verb, ("OLD", "NEW"))
                body = " ".join(_sqlite_mark(table, order_id, r) for r in rows)
                name = f"margin_stale_{table}_{event.split()[0].lower()}"
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body} END")
            continue
        op.execute(
            f"CREATE FUNCTION margin_stale_{table}() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP <> 'DELETE' THEN {_pg_mark(order_id, 'NEW')} END IF; "
            f"IF TG_OP <> 'INSERT' THEN {_pg_mark(order_id, 'OLD')} END IF; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER margin_stale_{table} AFTER {events} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION margin_stale_{table}()"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, _, events in WATCHED:
        if sqlite:
            for event in events.split(" OR "):
                op.execute(f"DROP TRIGGER margin_stale_{table}_{event.split()[0].lower()}")
        else:
            op.execute(f"DROP TRIGGER margin_stale_{table} ON {table}")
            op.execute(f"DROP FUNCTION margin_stale_{table}()")
    op.drop_table("margin_stale")
    op.drop_index("ix_margin_day_grp_day", table_name="margin_day")
    op.drop_table("margin_day")
