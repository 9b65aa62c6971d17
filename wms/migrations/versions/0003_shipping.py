"""shipping: pack stations, printers, print jobs, parcels, manifests, returns

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26 20:05:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import wms.models.common


revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = (
    "return_line",
    "parcel",
    "shipment",
    "return",
    "pack_session",
    "manifest",
    "printer",
    "print_job",
    "pack_station",
)


def upgrade() -> None:
    op.create_table(
        "pack_station",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "label_printer_url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False
        ),
        sa.Column(
            "document_printer_url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False
        ),
        sa.Column("scale_url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("label_dpi", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "print_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("printer_url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("station", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=True),
        sa.Column("reprint_of", sa.Integer(), nullable=True),
        sa.Column("created_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.Column("printed_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("print_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_job_parcel_id"), ["parcel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_print_job_printer_url"), ["printer_url"], unique=False)
        batch_op.create_index(batch_op.f("ix_print_job_status"), ["status"], unique=False)

    op.create_table(
        "printer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("checked_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("printer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_printer_url"), ["url"], unique=True)

    op.create_table(
        "manifest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pack_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("station", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("verified", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("started_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id"),
    )
    op.create_table(
        "return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channel.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "external_id"),
    )
    with op.batch_alter_table("return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_order_id"), ["order_id"], unique=False)

    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("created_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id"),
    )
    op.create_table(
        "parcel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("station", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("carton", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("carrier", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("tracking", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("sscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
        sa.Column("contents", sa.JSON(), nullable=False),
        sa.Column("label_job_id", sa.Integer(), nullable=True),
        sa.Column("slip_job_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("manifest_id", sa.Integer(), nullable=True),
        sa.Column("created_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", wms.models.common.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["manifest_id"],
            ["manifest.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sscc"),
        sa.UniqueConstraint("tracking"),
    )
    with op.batch_alter_table("parcel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcel_manifest_id"), ["manifest_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parcel_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parcel_shipment_id"), ["shipment_id"], unique=False)

    op.create_table(
        "return_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("restocked", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("scrapped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_line.id"],
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["return.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("return_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_line_return_id"), ["return_id"], unique=False)


def downgrade() -> None:
    # Indexes go with their tables.
    for table in TABLES:
        op.drop_table(table)
