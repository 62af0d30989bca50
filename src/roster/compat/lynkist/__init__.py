"""The lynkist dialect: lynkist's public contacts API (reference 003), served under
``/compat/lynkist`` over Roster's contacts. See docs/dialects.md, "lynkist"."""

from __future__ import annotations

from roster.compat import Dialect
from roster.compat.lynkist.endpoints import router
from roster.compat.lynkist.errors import LynkistError, error

DIALECT = Dialect("lynkist", router, error, LynkistError)
