"""money: currency rates, money facts per order line, creator attribution per line

Revision ID: 0004j
Revises: 0003
Create Date: 2026-12-01 22:50:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import wms.models.common
import wms.models.money

revision = "0004j"
down_revision = "0004a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "currency_rate",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("per_eur", wms.models.money.Rate(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("loaded_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", "currency"),
    )
    op.create_table(
        "money_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("amount_e4", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["order_line.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["sales_order.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("money_fact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_money_fact_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_money_fact_line_id"), ["line_id"], unique=False)
    op.create_table(
        "line_attribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("creator", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("content_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("commission_rate_bp", sa.Integer(), nullable=False),
        sa.Column("estimated_commission", wms.models.common.Money(), nullable=False),
        sa.Column("actual_commission", wms.models.common.Money(), nullable=True),
        sa.ForeignKeyConstraint(["line_id"], ["order_line.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["sales_order.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("line_id"),
    )
    with op.batch_alter_table("line_attribution", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_line_attribution_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_line_attribution_creator"), ["creator"], unique=False)


def downgrade() -> None:
    # Indexes go with their tables.
    for table in ("line_attribution", "money_fact", "currency_rate"):
        op.drop_table(table)
