"""picking: waves, cart batches, slots, pick tasks, totes, floor exceptions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 19:47:46.441836
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import wms.models.common


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("est_seconds", sa.Float(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )

    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wave_status"), ["status"], unique=False)

    op.create_table(
        "pick_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("picker_id", sa.Integer(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("est_seconds", sa.Float(), nullable=False),
        sa.Column("route", sa.JSON(), nullable=False),
        sa.Column("drop_location_id", sa.Integer(), nullable=True),
        sa.Column("created_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["drop_location_id"],
            ["location.id"],
        ),
        sa.ForeignKeyConstraint(
            ["picker_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["wave.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )

    with op.batch_alter_table("pick_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pick_batch_picker_id"), ["picker_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pick_batch_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_pick_batch_wave_id"), ["wave_id"], unique=False)

    op.create_table(
        "pick_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("tote", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["pick_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_id", "slot"),
    )

    with op.batch_alter_table("pick_slot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pick_slot_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pick_slot_order_id"), ["order_id"], unique=False)

    op.create_table(
        "pick_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("picked", sa.Integer(), nullable=False),
        sa.Column("shorted", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("picked_by", sa.Integer(), nullable=True),
        sa.Column("picked_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("qty >= 0 AND picked >= 0 AND picked <= qty", name="pick_task_qty"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["pick_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
        ),
        sa.ForeignKeyConstraint(
            ["picked_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
        ),
        sa.ForeignKeyConstraint(
            ["stock_id"],
            ["stock.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )

    with op.batch_alter_table("pick_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pick_task_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "tote",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["pick_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )

    with op.batch_alter_table("tote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tote_order_id"), ["order_id"], unique=False)

    op.create_table(
        "floor_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["pick_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["pick_task.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )

    with op.batch_alter_table("floor_exception", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_floor_exception_status"), ["status"], unique=False)

    op.create_table(
        "pick_task_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("picked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_line.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["pick_task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "order_line_id"),
    )

    with op.batch_alter_table("pick_task_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pick_task_line_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pick_task_line_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pick_task_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pick_task_line_task_id"))
        batch_op.drop_index(batch_op.f("ix_pick_task_line_order_line_id"))

    op.drop_table("pick_task_line")

    with op.batch_alter_table("floor_exception", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_floor_exception_status"))

    op.drop_table("floor_exception")

    with op.batch_alter_table("tote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tote_order_id"))

    op.drop_table("tote")

    with op.batch_alter_table("pick_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pick_task_batch_id"))

    op.drop_table("pick_task")

    with op.batch_alter_table("pick_slot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pick_slot_order_id"))
        batch_op.drop_index(batch_op.f("ix_pick_slot_batch_id"))

    op.drop_table("pick_slot")

    with op.batch_alter_table("pick_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pick_batch_wave_id"))
        batch_op.drop_index(batch_op.f("ix_pick_batch_status"))
        batch_op.drop_index(batch_op.f("ix_pick_batch_picker_id"))

    op.drop_table("pick_batch")

    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wave_status"))

    op.drop_table("wave")
