"""parcel_tracking.next_poll_at indexed: the poller reads its due parcels a page at a time

Revision ID: 0004d8
Revises: 0004c
Create Date: 2026-12-02 04:20:00
"""

from alembic import op

revision = "0004d8"
down_revision = "0004c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_parcel_tracking_next_poll_at", "parcel_tracking", ["next_poll_at"])


def downgrade() -> None:
    op.drop_index("ix_parcel_tracking_next_poll_at", table_name="parcel_tracking")
