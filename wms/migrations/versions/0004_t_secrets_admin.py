"""secrets and admin: channel secrets, tokens and ciphers sealed with the operator's key;
printers have a name and can be disabled

Revision ID: 0004t
Revises: 0004i
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from wms.secret_box import PREFIX, SecretKeyError, keyring

revision = "0004t"
down_revision = "0004s"
branch_labels = None
depends_on = None

# A sealed value is longer than the plain one (Fernet adds about a third and 57 bytes).
COLUMNS = {"secret": 200, "access_token": 300, "shop_cipher": 200, "previous_secret": 200}
CHANNEL = sa.table("channel", sa.column("id", sa.Integer), *(sa.column(c) for c in COLUMNS))


def _rewrite(change: Callable[[str], str]) -> None:
    """Apply ``change`` to every stored secret, in this migration's transaction."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(CHANNEL)).mappings().all()
    for row in rows:
        values = {c: change(row[c] or "") for c in COLUMNS}
        if any(values[c] != (row[c] or "") for c in COLUMNS):
            bind.execute(CHANNEL.update().where(CHANNEL.c.id == row["id"]).values(**values))


def _seal(value: str) -> str:
    if not value or value.startswith(PREFIX):
        return value
    try:
        return keyring.seal(value)
    except SecretKeyError as exc:
        raise SystemExit(
            "wms db upgrade: the channels' secrets are now stored encrypted; set "
            "WMS_SECRET_KEY or WMS_SECRET_KEY_FILE (make a key with: wms secrets new-key) "
            "and run the upgrade again"
        ) from exc


def upgrade() -> None:
    with op.batch_alter_table("channel") as batch_op:
        for column, length in COLUMNS.items():
            batch_op.alter_column(
                column, existing_type=sa.String(length), type_=sa.Text(), existing_nullable=False
            )
    _rewrite(_seal)
    with op.batch_alter_table("printer") as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(100), nullable=False, server_default=""),
        )
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        )


def downgrade() -> None:
    with op.batch_alter_table("printer") as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("name")
    _rewrite(keyring.open)
    with op.batch_alter_table("channel") as batch_op:
        for column, length in COLUMNS.items():
            batch_op.alter_column(
                column, existing_type=sa.Text(), type_=sa.String(length), existing_nullable=False
            )
