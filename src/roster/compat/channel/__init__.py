"""The channel dialect: a messaging inbox platform's per-channel Contacts API (reference
002), served under ``/compat/channel`` over Roster's contacts. See docs/dialects.md,
"channel"."""

from __future__ import annotations

from roster.compat import Dialect
from roster.compat.channel.endpoints import router
from roster.compat.channel.errors import ChannelError, error

DIALECT = Dialect("channel", router, error, ChannelError)
