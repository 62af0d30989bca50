"""An uploaded CSV waiting for its column mapping to be checked before the import starts.

The file stays where the upload put it (the imports directory); a small JSON file beside
it records what the upload learnt on the way (size, encoding, line count) and whose it is,
so that the import can start later from the same ``Upload`` the API's route would build.
Uploads left waiting are removed after ``WAITING_SECONDS``.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData

from roster.auth.principal import Principal
from roster.contacts.normalize import CUSTOM_FIELD_KEY
from roster.errors import NotFound
from roster.imports import mapping
from roster.imports.upload import Upload
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS

WAITING_SECONDS = 24 * 3600
# Columns whose mapping the review form edits; the form's other fields fit beside them
# within the console's bound on fields per form.
MAX_COLUMNS = 180
IGNORE = "skip"
_TOKEN = re.compile(r"[0-9a-f]{32}")
_FIELDS = (
    *mapping.TEXT_TARGETS,
    "tags",
    "suppressed",
    *(f"handles.{ch}" for ch in HANDLE_CHANNELS),
    *(f"preferences.{ch}" for ch in PREFERENCE_CHANNELS),
)


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".waiting.json")


def keep(upload: Upload, principal: Principal) -> str:
    """Record ``upload`` as waiting for its review; the token names it in the review's URL."""
    assert upload.path is not None
    state = {
        "tenant_id": str(principal.tenant_id),
        "filename": upload.filename,
        "size": upload.size,
        "newlines": upload.newlines,
        "utf8": upload.utf8,
        "bom": upload.bom,
        "binary": upload.binary,
        "last_byte": upload.last_byte.hex(),
    }
    _sidecar(upload.path).write_text(json.dumps(state), encoding="utf-8")
    return upload.path.stem


def load(directory: Path, token: str, principal: Principal) -> Upload:
    """The waiting upload ``token`` of the principal's tenant; 404 when there is none."""
    if not _TOKEN.fullmatch(token):
        raise NotFound("no such upload")
    path = directory / f"{token}.csv"
    try:
        state = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound("this upload is no longer waiting; upload the file again") from None
    if state.get("tenant_id") != str(principal.tenant_id) or not path.exists():
        raise NotFound("no such upload")
    return Upload(
        path=path,
        filename=state["filename"],
        size=state["size"],
        newlines=state["newlines"],
        utf8=state["utf8"],
        bom=state["bom"],
        binary=state["binary"],
        last_byte=bytes.fromhex(state["last_byte"]),
    )


def release(upload: Upload) -> None:
    """The upload is no longer waiting (its import started): keep the file, drop the note."""
    if upload.path is not None:
        with contextlib.suppress(OSError):
            _sidecar(upload.path).unlink()


def discard(upload: Upload) -> None:
    release(upload)
    upload.discard()


def sweep(directory: Path, now: float | None = None) -> None:
    """Remove the uploads that have waited longer than ``WAITING_SECONDS``."""
    cutoff = (now or time.time()) - WAITING_SECONDS
    with contextlib.suppress(OSError):
        for note in directory.glob("*.waiting.json"):
            with contextlib.suppress(OSError):
                if note.stat().st_mtime < cutoff:
                    (directory / note.name.replace(".waiting.json", ".csv")).unlink(missing_ok=True)
                    note.unlink()


def _slug(column: str) -> str | None:
    """The custom field key a column's name suggests (``Plan type`` → ``plan_type``)."""
    key = re.sub(r"[^A-Za-z0-9_]+", "_", column.strip()).strip("_").lower()[:64]
    return key if key and CUSTOM_FIELD_KEY.fullmatch(key) else None


def columns(
    header: list[str], chosen: dict[int, str], custom_keys: list[str]
) -> list[dict[str, Any]]:
    """One row per column for the review form: its name, the field it feeds now, and the
    fields it may feed (contact fields, the tenant's custom fields, a new custom field
    named after the column, or nothing). A name that repeats an earlier column's cannot be
    told apart in a mapping, so it is shown as not imported."""
    known = [f"custom_fields.{key}" for key in custom_keys]
    seen: set[str] = set()
    rows = []
    for index, name in enumerate(header[:MAX_COLUMNS]):
        target = chosen.get(index, IGNORE)
        choices = [*_FIELDS, *known]
        slug = _slug(name)
        if slug and f"custom_fields.{slug}" not in choices:
            choices.append(f"custom_fields.{slug}")
        if target not in choices and target != IGNORE:
            choices.append(target)
        rows.append(
            {
                "index": index,
                "name": name,
                "target": target,
                "choices": choices,
                "repeated": name in seen,
            }
        )
        seen.add(name)
    return rows


def chosen_mapping(form: FormData, header: list[str], detected: dict[int, str]) -> dict[str, str]:
    """The mapping the review form chose, as the import's ``mapping`` option (column name →
    field or ``skip``). Columns past ``MAX_COLUMNS`` keep their detected field."""
    result: dict[str, str] = {}
    for index, name in enumerate(header):
        if name in result:
            continue
        value = form.get(f"column_{index}") if index < MAX_COLUMNS else None
        if isinstance(value, str) and value.strip():
            result[name] = value.strip()
        else:
            result[name] = detected.get(index, IGNORE)
    return result


def chosen_targets(form: FormData, count: int) -> dict[int, str]:
    """Column index → the field the form shows for it (to show the form again)."""
    found = {}
    for index in range(min(count, MAX_COLUMNS)):
        value = form.get(f"column_{index}")
        if isinstance(value, str) and value.strip():
            found[index] = value.strip()
    return found


def column_errors(problems: dict[str, str], header: list[str]) -> dict[int, str]:
    """Column index → message, from problems named ``mapping.<column name>``."""
    positions = {name: i for i, name in reversed(list(enumerate(header)))}
    found = {}
    for field, message in problems.items():
        name = field.removeprefix("mapping.") if field.startswith("mapping.") else None
        if name is not None and name in positions:
            found[positions[name]] = message
    return found
