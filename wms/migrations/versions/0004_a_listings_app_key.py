"""listings and app_key: a channel listing can be disabled (pushed zero); the channels'
app_key (WooCommerce's REST consumer key) is sealed with the operator's key like the other
secrets

Revision ID: 0004a8
Revises: 0004v
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from wms.secret_box import PREFIX, SecretKeyError, keyring

# "0004a" is an earlier session's migration (outbox lease owners): this one is 0004a8.
revision = "0004a8"
down_revision = "0004v"
branch_labels = None
depends_on = None

CHANNEL = sa.table("channel", sa.column("id", sa.Integer), sa.column("app_key", sa.Text))


def _rewrite(change: Callable[[str], str]) -> None:
    """Apply ``change`` to every stored app_key, in this migration's transaction."""
    bind = op.get_bind()
    for row in bind.execute(sa.select(CHANNEL)).mappings().all():
        value = change(row["app_key"] or "")
        if value != (row["app_key"] or ""):
            bind.execute(CHANNEL.update().where(CHANNEL.c.id == row["id"]).values(app_key=value))


def _seal(value: str) -> str:
    if not value or value.startswith(PREFIX):
        return value
    try:
        return keyring.seal(value)
    except SecretKeyError as exc:
        raise SystemExit(
            "wms db upgrade: the channels' app keys are now stored encrypted; set "
            "WMS_SECRET_KEY or WMS_SECRET_KEY_FILE (make a key with: wms secrets new-key) "
            "and run the upgrade again"
        ) from exc


def upgrade() -> None:
    with op.batch_alter_table("channel") as batch_op:
        batch_op.alter_column(
            "app_key", existing_type=sa.String(200), type_=sa.Text(), existing_nullable=False
        )
    _rewrite(_seal)
    with op.batch_alter_table("channel_listing") as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_listing") as batch_op:
        batch_op.drop_column("active")
    _rewrite(keyring.open)
    with op.batch_alter_table("channel") as batch_op:
        batch_op.alter_column(
            "app_key", existing_type=sa.Text(), type_=sa.String(200), existing_nullable=False
        )
