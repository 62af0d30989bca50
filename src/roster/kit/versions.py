"""Optimistic concurrency over HTTP: a row's ``version`` is its ETag, ``If-Match`` checks it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roster.errors import PreconditionFailed


def etag(row: Mapping[str, Any]) -> str:
    """The strong ETag of a versioned row."""
    return f'"{row["version"]}"'


def check_if_match(row: Mapping[str, Any], if_match: str | None, what: str) -> None:
    """``If-Match`` with a stale ETag → 412 naming ``what`` (strong comparison; ``*`` matches
    any). No header, no check."""
    if if_match is None:
        return
    tags = {part.strip() for part in if_match.split(",")}
    if "*" not in tags and etag(row) not in tags:
        raise PreconditionFailed(f"the {what} is at version {row['version']}")
