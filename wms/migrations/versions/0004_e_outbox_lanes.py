"""outbox_live and outbox_sending_key: the worker's claim reads each kind's oldest rows

Revision ID: 0004e
Revises: 0004d8
Create Date: 2026-12-02 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004e"
down_revision = "0004d8"
branch_labels = None
depends_on = None

LIVE = sa.text("status IN ('pending', 'sending')")
SENDING = sa.text("status = 'sending'")


def upgrade() -> None:
    op.create_index(
        "outbox_live", "outbox", ["kind", "id"], sqlite_where=LIVE, postgresql_where=LIVE
    )
    op.create_index(
        "outbox_sending_key",
        "outbox",
        ["dedupe_key", "next_attempt_at"],
        sqlite_where=SENDING,
        postgresql_where=SENDING,
    )


def downgrade() -> None:
    op.drop_index("outbox_sending_key", table_name="outbox")
    op.drop_index("outbox_live", table_name="outbox")
