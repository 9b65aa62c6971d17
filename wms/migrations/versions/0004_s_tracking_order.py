"""outbox rows may follow another (told only after it): a parcel's tracking changes in order

Revision ID: 0004s
Revises: 0004i
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004s"
down_revision = "0004i"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("after_event", sa.String(length=40), nullable=True))
    with op.batch_alter_table("parcel_tracking", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_told", sa.String(length=40), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("parcel_tracking", schema=None) as batch_op:
        batch_op.drop_column("last_told")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("after_event")
