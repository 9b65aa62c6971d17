"""docs/security.md shows the role table the guards read, as it is."""

from __future__ import annotations

from wms.api import roles
from wms.config import ROOT


def test_the_security_page_shows_the_role_table_the_guards_read():
    text = (ROOT / "docs" / "security.md").read_text()
    shown = text.split("<!-- roles:begin -->\n", 1)[1].split("<!-- roles:end -->", 1)[0]
    assert shown == roles.markdown_table(), "regenerate it: python -m wms.api.roles"
