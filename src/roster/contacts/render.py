"""A contact row as the API shows it."""

from __future__ import annotations

from typing import Any

from roster.kit.timeutil import rfc3339
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS

_HANDLE_COLUMNS = tuple((ch, f"handle_{ch}") for ch in HANDLE_CHANNELS)
_PREF_COLUMNS = tuple((ch, f"pref_{ch}") for ch in PREFERENCE_CHANNELS)


def contact(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "name": row["name"],
        "phone": row["phone"],
        "email": row["email"],
        "external_id": row["external_id"],
        "company": row["company"],
        "job_title": row["job_title"],
        "status": row["status"],
        "country": row["country"],
        "language": row["language"],
        "avatar_url": row["avatar_url"],
        "source": row["source"],
        "tags": row["tags"],
        "custom_fields": row["custom_fields"],
        "handles": {channel: row[column] for channel, column in _HANDLE_COLUMNS},
        "preferences": {channel: row[column] for channel, column in _PREF_COLUMNS},
        "suppressed": bool(row["suppressed"]),
        "suppressed_reason": row["suppressed_reason"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
        "deleted_at": rfc3339(row["deleted_at"]),
        "version": row["version"],
    }
