"""backorder_record: an append-only record of each backorder, back-filled with the lines that
wait now; order_work: each shipped order's picking and packing seconds, back-filled; and the
index the warehouse-work report finds an order's day by

Revision ID: 0004c
Revises: 0004a8
Create Date: 2026-12-02 04:05:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from wms.reports import margin_work_sql

revision = "0004c"
down_revision = "0004a8"
branch_labels = None
depends_on = None

# Statuses in which a line no longer waits (wms/services/backorder_history.py, DONE).
DONE = "('shipped', 'delivered', 'cancelled', 'returned')"


def upgrade() -> None:
    op.create_table(
        "backorder_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("line_qty", sa.Integer(), nullable=False),
        sa.Column("qty_short", sa.Integer(), nullable=False),
        sa.Column("began_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["sales_order.id"]),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_backorder_record_order_id", "backorder_record", ["order_id"])
    op.create_index("ix_backorder_record_began", "backorder_record", ["began_at", "channel_id"])
    op.create_index(
        "ux_backorder_record_open_line",
        "backorder_record",
        ["order_line_id"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    # With status and channel: the report's look for orders not kept reads the index alone.
    op.execute(
        "CREATE INDEX ix_sales_order_day ON sales_order "
        "(coalesce(placed_at, created_at), status, channel_id)"
    )
    # The lines that wait now: when each began is not known, the order's last change is
    # the nearest the database holds (a backorder changes the order's status).
    op.execute(
        "INSERT INTO backorder_record (order_line_id, order_id, channel_id, product_id, sku, "
        "line_qty, qty_short, began_at) "
        "SELECT l.id, l.order_id, o.channel_id, l.product_id, l.sku, l.qty, "
        "l.qty - l.reserved - l.picked, o.updated_at "
        "FROM order_line l JOIN sales_order o ON o.id = l.order_id "
        f"WHERE l.qty > l.reserved + l.picked AND o.status NOT IN {DONE}"
    )

    op.create_table(
        "order_work",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ship_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pick_s", sa.Float(), nullable=True),
        sa.Column("pack_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["sales_order.id"]),
        sa.PrimaryKeyConstraint("order_id"),
    )
    # Every column the report reads: a year's rows are read from the index alone.
    op.create_index(
        "ix_order_work_placed", "order_work",
        ["placed_at", "channel_id", "order_id", "shipped_at", "ship_by", "pick_s", "pack_s",
         "reference"],
    )  # fmt: skip
    # The work of every order shipped before: kept as hand-over keeps it now.
    conn = op.get_bind()
    shipped = sa.text(
        "SELECT id FROM sales_order WHERE status IN ('shipped', 'delivered', 'returned') "
        "ORDER BY id"
    )
    ids = [int(i) for i in conn.execute(shipped).scalars()]
    for n in range(0, len(ids), 2000):
        margin_work_sql.keep(conn, ids[n : n + 2000])


def downgrade() -> None:
    op.execute("DROP INDEX ix_sales_order_day")
    op.drop_index("ux_backorder_record_open_line", table_name="backorder_record")
    op.drop_index("ix_backorder_record_began", table_name="backorder_record")
    op.drop_index("ix_backorder_record_order_id", table_name="backorder_record")
    op.drop_table("backorder_record")
    op.drop_index("ix_order_work_placed", table_name="order_work")
    op.drop_table("order_work")
