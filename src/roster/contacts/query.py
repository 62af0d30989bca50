"""The contact's search columns, derived from its fields on every write.

``search_text`` holds the contact's name, first and last name, email and company
lower-cased, and the phone's digits, joined by an ASCII unit separator (so a ``q`` cannot
match across two fields); ``sort_name`` is the lower-cased name. Both are computed here in
Python (the same case folding on both engines) and written by the repository in the same
statement as the fields they derive from. ``q`` (``filters.search_text``) reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SEPARATOR = "\x1f"
SEARCH_SOURCES = ("name", "first_name", "last_name", "email", "company", "phone")
# The longest ``q`` any route takes.
MAX_Q = 200


def derived(values: Mapping[str, Any]) -> dict[str, str]:
    """``search_text`` and ``sort_name`` of a contact whose fields are ``values``."""
    missing = [name for name in SEARCH_SOURCES if name not in values]
    if missing:
        raise ValueError(f"derived columns need every source field; missing {missing}")
    parts = [(values[name] or "").lower() for name in SEARCH_SOURCES[:-1]]
    parts.append(re.sub(r"\D", "", values["phone"] or ""))
    return {
        "search_text": SEPARATOR.join(parts),
        "sort_name": (values["name"] or "").lower(),
    }
