"""passwords: office users sign in to the console with a user name and a password

Revision ID: 0004r
Revises: 0004i
Create Date: 2026-12-02 01:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004r"
down_revision = "0004t"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(
            sa.Column(
                "password_hash",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("password_hash")
