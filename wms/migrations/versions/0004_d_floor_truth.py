"""floor truth: who resolved a floor exception and how; the totes a packer has scanned

Revision ID: 0004d
Revises: 0003
Create Date: 2026-12-01 22:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import wms.models.common

revision = "0004d"
down_revision = "0004b"
branch_labels = None
# floor_exception comes from 0002, a branch of its own until the lead chains them.
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("floor_exception", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("resolved_at", wms.models.common.UtcDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "resolution",
                sqlmodel.sql.sqltypes.AutoString(length=300),
                nullable=False,
                server_default="",
            )
        )
        batch_op.create_foreign_key(
            "fk_floor_exception_resolved_by_user", "user", ["resolved_by"], ["id"]
        )
    with op.batch_alter_table("pack_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("totes", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("pack_session", schema=None) as batch_op:
        batch_op.drop_column("totes")
    with op.batch_alter_table("floor_exception", schema=None) as batch_op:
        batch_op.drop_constraint("fk_floor_exception_resolved_by_user", type_="foreignkey")
        batch_op.drop_column("resolution")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("resolved_by")
