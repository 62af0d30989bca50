"""The omnichannel dialect: the omnichannel platform's contacts API (reference 004),
served under ``/compat/omnichannel`` over Roster's contacts, consent, activities, lists and
segments. See docs/dialects.md, "omnichannel"."""

from __future__ import annotations

from fastapi import APIRouter

from roster.compat import Dialect
from roster.compat.omnichannel import audiences, contacts
from roster.compat.omnichannel.errors import OmnichannelError, error

router = APIRouter()
# The literal paths (lists, segments, optouts) before /v1/contacts/{contact_id}, which would
# otherwise take them as ids.
router.include_router(audiences.router)
router.include_router(contacts.router)

DIALECT = Dialect("omnichannel", router, error, OmnichannelError)
