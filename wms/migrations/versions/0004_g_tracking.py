"""tracking: each handed-over parcel's tracking state, its carrier events (append-only),
and the tracking link the carrier gave with the label

Revision ID: 0004g
Revises: 0003
Create Date: 2026-12-01 22:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import wms.models.common

revision = "0004g"
down_revision = "0004d"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    stamp = wms.models.common.UtcDateTime
    op.create_table(
        "parcel_tracking",
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("carrier", _text(40), nullable=False),
        sa.Column("tracking", _text(40), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("last_event_at", stamp(), nullable=True),
        sa.Column("estimated_delivery", stamp(), nullable=True),
        sa.Column("delivered_at", stamp(), nullable=True),
        sa.Column("next_poll_at", stamp(), nullable=True),
        sa.Column("poll_failures", sa.Integer(), nullable=False),
        sa.Column("troubled", _text(20), nullable=False),
        sa.Column("handed_over_at", stamp(), nullable=False),
        sa.Column("updated_at", stamp(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["sales_order.id"]),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcel.id"]),
        sa.PrimaryKeyConstraint("parcel_id"),
        sa.UniqueConstraint("tracking"),
    )
    with op.batch_alter_table("parcel_tracking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcel_tracking_order_id"), ["order_id"])
        batch_op.create_index(batch_op.f("ix_parcel_tracking_carrier"), ["carrier"])
        batch_op.create_index(batch_op.f("ix_parcel_tracking_status"), ["status"])
    op.create_table(
        "tracking_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("event_key", _text(80), nullable=False),
        sa.Column("occurred_at", stamp(), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("code", _text(40), nullable=False),
        sa.Column("description", _text(300), nullable=False),
        sa.Column("location", _text(200), nullable=False),
        sa.Column("source", _text(12), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("received_at", stamp(), nullable=False),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcel.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("parcel_id", "event_key"),
    )
    with op.batch_alter_table("tracking_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracking_event_parcel_id"), ["parcel_id"])

    with op.batch_alter_table("parcel", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tracking_url", _text(300), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("parcel", schema=None) as batch_op:
        batch_op.drop_column("tracking_url")
    op.drop_table("tracking_event")
    op.drop_table("parcel_tracking")
