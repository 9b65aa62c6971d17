"""site: the loaded site's documents (its layout); a rotated channel secret's grace period

Revision ID: 0004i
Revises: 0003
Create Date: 2026-12-01 22:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import wms.models.common

revision = "0004i"
down_revision = "0004j"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_document",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("updated_at", wms.models.common.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("channel") as batch_op:
        batch_op.add_column(
            sa.Column(
                "previous_secret",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "previous_secret_until",
                wms.models.common.UtcDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("channel") as batch_op:
        batch_op.drop_column("previous_secret_until")
        batch_op.drop_column("previous_secret")
    op.drop_table("site_document")
