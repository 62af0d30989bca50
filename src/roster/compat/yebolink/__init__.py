"""The yebolink dialect: YeboLink's Contacts API (reference 000), served under
``/compat/yebolink`` over Roster's contacts. See docs/dialects.md, "yebolink"."""

from __future__ import annotations

from roster.compat import Dialect
from roster.compat.yebolink.endpoints import router
from roster.compat.yebolink.errors import YebolinkError, error

DIALECT = Dialect("yebolink", router, error, YebolinkError)
