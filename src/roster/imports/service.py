"""Starting an import: check the options and the file's header, then enqueue the job.

Everything that can be known before the first row is checked here, so a bad mapping, an
empty or binary file, or a file without an identifier column is a 422 before any job.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal
from roster.contacts import normalize
from roster.errors import FieldProblem, NotFound, ValidationFailed
from roster.imports import mapping, reader
from roster.imports.upload import Upload
from roster.kit.timeutil import rfc3339
from roster.lists.repository import ListRepository
from roster.worker import queue

MODES = ("create", "upsert", "update_only")
MATCH_ON = ("phone", "email", "external_id")
KNOWN_FIELDS = (
    "mapping",
    "mode",
    "match_on",
    "default_country",
    "tags",
    "list_id",
    "tags_separator",
)


def _options(form: dict[str, str]) -> dict[str, Any]:
    problems: list[FieldProblem] = []
    unknown = sorted(set(form) - set(KNOWN_FIELDS))
    problems += [FieldProblem(name, "unknown field") for name in unknown]
    explicit = None
    if form.get("mapping"):
        try:
            explicit = json.loads(form["mapping"])
        except ValueError:
            problems.append(FieldProblem("mapping", "must be a JSON object"))
        if explicit is not None and not isinstance(explicit, dict):
            problems.append(FieldProblem("mapping", "must be a JSON object"))
            explicit = None
    mode = form.get("mode") or "upsert"
    if mode not in MODES:
        problems.append(FieldProblem("mode", f"must be one of {', '.join(MODES)}"))
    match_on = form.get("match_on") or None
    if match_on is not None and match_on not in MATCH_ON:
        problems.append(FieldProblem("match_on", f"must be one of {', '.join(MATCH_ON)}"))
    country = form.get("default_country") or None
    if country is not None:
        try:
            country = normalize.normalize_country(country)
        except ValueError as exc:
            problems.append(FieldProblem("default_country", str(exc)))
    separator = form.get("tags_separator") or ","
    if len(separator) > 8:
        problems.append(FieldProblem("tags_separator", "at most 8 characters"))
    tags: list[str] = []
    if form.get("tags"):
        try:
            tags = normalize.normalize_tags([t for t in form["tags"].split(",") if t.strip()])
        except ValueError as exc:
            problems.append(FieldProblem("tags", str(exc)))
    list_id: str | None = None
    if form.get("list_id"):
        try:
            list_id = str(UUID(form["list_id"]))
        except ValueError:
            problems.append(FieldProblem("list_id", "must be a list id"))
    if problems:
        raise ValidationFailed(problems)
    return {
        "explicit": explicit,
        "mode": mode,
        "match_on": match_on,
        "default_country": country,
        "tags_separator": separator,
        "tags": tags,
        "list_id": list_id,
    }


def _check_file(upload: Upload) -> tuple[str, list[str], str, int]:
    if upload.size == 0 or (upload.bom and upload.size <= 3):
        raise ValidationFailed.one("file", "the file is empty")
    if upload.binary:
        raise ValidationFailed.one("file", "not a text CSV file (it holds NUL bytes)")
    encoding = ("utf-8-sig" if upload.bom else "utf-8") if upload.utf8 else "latin-1"
    assert upload.path is not None
    try:
        header, delimiter, offset = reader.read_header(
            str(upload.path), "utf-8" if upload.utf8 else "latin-1", upload.bom
        )
    except ValueError as exc:
        raise ValidationFailed.one("file", str(exc)) from None
    if not any(header):
        raise ValidationFailed.one("file", "the file has no header row")
    return encoding, header, delimiter, offset


def detect(upload: Upload) -> tuple[list[str], dict[int, str]]:
    """The file's header and the mapping an import without an explicit one would use
    (column index → field); ValidationFailed naming what is wrong with the file."""
    _, header, _, _ = _check_file(upload)
    return header, mapping.resolve(header, None)


async def start(
    conn: AsyncConnection, principal: Principal, upload: Upload, *, default_region: str
) -> dict[str, Any]:
    options = _options(upload.fields)
    if options["list_id"] is not None and (
        await ListRepository(conn, principal.tenant_id).get(UUID(options["list_id"])) is None
    ):
        raise NotFound("no such list")
    encoding, header, delimiter, offset = _check_file(upload)
    plan = mapping.resolve(header, options["explicit"])
    targets = set(plan.values())
    if not targets & set(mapping.IDENTIFIER_TARGETS):
        raise ValidationFailed.one(
            "mapping",
            "no column holds an identifier (phone, email, external_id or a handle); "
            f"the header is {header[:20]}; give a mapping",
        )
    match_on = options["match_on"]
    if match_on is not None and match_on not in targets:
        raise ValidationFailed.one("match_on", f"no column is mapped to {match_on}")
    data_lines = upload.newlines - 1 + (1 if upload.last_byte not in (b"\n", b"") else 0)
    params = {
        "filename": upload.filename,
        "path": str(upload.path),
        "size": upload.size,
        "encoding": encoding,
        "delimiter": delimiter,
        "header": header,
        "data_offset": offset,
        "columns": sorted(plan.items()),
        "unmapped": [h for i, h in enumerate(header) if i not in plan],
        "region": options["default_country"] or principal.default_region or default_region,
        "actor": str(principal.credential_id),
        **{k: v for k, v in options.items() if k != "explicit"},
    }
    return await queue.enqueue(
        conn, principal.tenant_id, "import", params, total=max(data_lines, 0)
    )


def render(job: dict[str, Any]) -> dict[str, Any]:
    params = job["params"]
    header = params["header"]
    return {
        "id": str(job["id"]),
        "status": job["status"],
        "filename": params["filename"],
        **queue.counts(job),
        "mode": params["mode"],
        "match_on": params["match_on"],
        "encoding": params["encoding"].replace("-sig", ""),
        "delimiter": params["delimiter"],
        "mapping": {header[i]: target for i, target in params["columns"]},
        "unmapped_columns": params["unmapped"],
        "error": job["error"],
        "created_at": rfc3339(job["created_at"]),
        "started_at": rfc3339(job["started_at"]),
        "finished_at": rfc3339(job["finished_at"]),
        "errors_url": f"/v1/imports/{job['id']}/errors",
    }


def job_id(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None
