# Written by clients/python/tools/generate.py from roster_client/_async; do not edit.
"""``client.contacts`` and ``client.tags``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from roster_client._common import Body, Call, body, query, write_headers
from roster_client._generated.models import (
    Contact,
    ContactBatchResponse,
    DuplicateList,
    MergeResult,
    TagCount,
)
from roster_client._sync.core import Core, Pager

_FILTERS = (
    "q",
    "tag",
    "any_tag",
    "status",
    "country",
    "source",
    "suppressed",
    "list_id",
    "segment_id",
    "created_after",
    "created_before",
    "updated_after",
    "opted_out",
    "include_deleted",
)


def _filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    unknown = [k for k in filters if k not in _FILTERS and not k.startswith("custom_fields.")]
    if unknown:
        raise TypeError(f"unknown filter(s): {', '.join(unknown)}")
    return query(**filters)


class Contacts:
    """Contacts: create, read, update, archive, erase, find, page through and export."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(
        self, contact: Body | None = None, /, *, idempotency_key: str | None = None, **fields: Any
    ) -> Contact:
        """Create a contact from a mapping, a model or keyword fields (201)."""
        call = Call("POST", "/v1/contacts", json=body(contact, fields))
        call.headers.update(write_headers(idempotency_key=idempotency_key))
        return self._core.model(call, Contact.from_dict)

    def get(self, contact_id: str, *, include_deleted: bool | None = None) -> Contact:
        params = query(include_deleted=include_deleted)
        return self._core.model(
            Call("GET", f"/v1/contacts/{contact_id}", params=params), Contact.from_dict
        )

    def update(
        self, contact_id: str, changes: Body, *, if_match: str | int | None = None
    ) -> Contact:
        """Change the given fields (JSON Merge Patch: ``None`` clears a field). With
        ``if_match=contact.version`` the change happens only if nobody changed the contact
        since it was read; else :class:`~roster_client.errors.PreconditionFailed`."""
        call = Call(
            "PATCH",
            f"/v1/contacts/{contact_id}",
            json=body(changes, {}),
            headers=write_headers(if_match),
        )
        return self._core.model(call, Contact.from_dict)

    def archive(self, contact_id: str, *, if_match: str | int | None = None) -> None:
        """Soft-delete: hidden from listings, restorable."""
        call = Call("DELETE", f"/v1/contacts/{contact_id}", headers=write_headers(if_match))
        self._core.json(call)

    def restore(self, contact_id: str) -> Contact:
        call = Call("POST", f"/v1/contacts/{contact_id}/restore")
        return self._core.model(call, Contact.from_dict)

    def erase(self, contact_id: str, *, if_match: str | int | None = None) -> None:
        """GDPR erasure: the contact's personal data is removed everywhere, for good."""
        call = Call(
            "DELETE",
            f"/v1/contacts/{contact_id}",
            params={"erase": "true"},
            headers=write_headers(if_match),
        )
        self._core.json(call)

    def lookup(
        self,
        *,
        phone: str | None = None,
        email: str | None = None,
        external_id: str | None = None,
        handle: str | None = None,
    ) -> Contact:
        """The contact with this identifier (one of them); ``NotFound`` when none."""
        params = query(phone=phone, email=email, external_id=external_id, handle=handle)
        call = Call("GET", "/v1/contacts/lookup", params=params)
        return self._core.model(call, Contact.from_dict)

    def upsert(
        self,
        contact: Body | None = None,
        /,
        *,
        match_on: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Contact:
        """Create the contact, or update the one matched on ``match_on`` (phone, email or
        external_id; default: the first of them given)."""
        call = Call(
            "POST",
            "/v1/contacts/upsert",
            params=query(match_on=match_on),
            json=body(contact, fields),
            headers=write_headers(idempotency_key=idempotency_key),
        )
        return self._core.model(call, Contact.from_dict)

    def batch(
        self,
        contacts: Sequence[Body],
        *,
        mode: str = "upsert",
        match_on: str | None = None,
        idempotency_key: str | None = None,
    ) -> ContactBatchResponse:
        """Up to 1,000 contacts in one request; each item succeeds or fails alone."""
        payload = {"mode": mode, "contacts": [body(c, {}) for c in contacts]}
        if match_on is not None:
            payload["match_on"] = match_on
        call = Call(
            "POST",
            "/v1/contacts/batch",
            json=payload,
            headers=write_headers(idempotency_key=idempotency_key),
        )
        return self._core.model(call, ContactBatchResponse.from_dict)

    def list(
        self,
        *,
        sort: str | None = None,
        limit: int | None = None,
        include_total: bool | None = None,
        **filters: Any,
    ) -> Pager[Contact]:
        """Every contact matching the filters (``q``, ``tag``, ``status``, ``country``,
        ``list_id``, ``custom_fields.<key>`` …), page by page as you iterate."""
        params = {**_filters(filters), **query(sort=sort, limit=limit, include_total=include_total)}
        return Pager(self._core, Call("GET", "/v1/contacts", params=params), Contact.from_dict)

    def search(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        q: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
        include_total: bool | None = None,
    ) -> Pager[Contact]:
        """Every contact matching a filter expression (docs/filters.md)."""
        payload = query(filter=filter, q=q, sort=sort, limit=limit)
        if include_total is not None:
            payload["include_total"] = include_total
        call = Call("POST", "/v1/contacts/search", json=payload)
        return Pager(self._core, call, Contact.from_dict, cursor_in_body=True)

    def export(
        self,
        filter: Mapping[str, Any] | None = None,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Every matching contact as a dict, streamed (memory does not grow with the count).
        Give list filters as keywords, or a filter expression."""
        for line in self._lines("ndjson", filter, filters):
            if line:
                yield json.loads(line)

    def export_bytes(
        self,
        format: str = "csv",
        filter: Mapping[str, Any] | None = None,
        **filters: Any,
    ) -> Iterator[bytes]:
        """The export file itself (``csv`` or ``ndjson``), in chunks as they arrive."""
        with self._core.stream(self._export_call(format, filter, filters)) as response:
            for chunk in response.iter_bytes():
                yield chunk

    def _lines(
        self, format: str, filter: Mapping[str, Any] | None, filters: Mapping[str, Any]
    ) -> Iterator[str]:
        with self._core.stream(self._export_call(format, filter, filters)) as response:
            for line in response.iter_lines():
                yield line

    def _export_call(
        self, format: str, filter: Mapping[str, Any] | None, filters: Mapping[str, Any]
    ) -> Call:
        if filter is not None:
            return Call("POST", "/v1/contacts/export", json={"filter": filter, "format": format})
        return Call("GET", "/v1/contacts/export", params={**_filters(filters), "format": format})

    def add_tags(self, contact_id: str, tags: Sequence[str]) -> Contact:
        call = Call("POST", f"/v1/contacts/{contact_id}/tags", json={"tags": list(tags)})
        return self._core.model(call, Contact.from_dict)

    def remove_tag(self, contact_id: str, tag: str) -> Contact:
        call = Call("DELETE", f"/v1/contacts/{contact_id}/tags/{tag}")
        return self._core.model(call, Contact.from_dict)

    def merge(
        self, contact_id: str, duplicate_ids: Sequence[str], *, dry_run: bool = False
    ) -> MergeResult:
        """Merge the duplicates into this contact (``dry_run``: show the result only)."""
        payload = {"duplicate_ids": list(duplicate_ids), "dry_run": dry_run}
        call = Call("POST", f"/v1/contacts/{contact_id}/merge", json=payload)
        return self._core.model(call, MergeResult.from_dict)

    def duplicates(self, contact_id: str) -> DuplicateList:
        """Contacts that look like this one."""
        call = Call("GET", f"/v1/contacts/{contact_id}/duplicates")
        return self._core.model(call, DuplicateList.from_dict)

    def personal_data(self, contact_id: str) -> dict[str, Any]:
        """Everything Roster holds about the contact (GDPR access and portability)."""
        data: dict[str, Any] = self._core.json(Call("GET", f"/v1/contacts/{contact_id}/export"))
        return data

    def bulk_action(
        self,
        filter: Mapping[str, Any],
        action: str,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Start a bulk action over every match; the job (``client.jobs.wait(job["id"])``)."""
        payload = {"filter": filter, "action": action, "params": dict(params or {})}
        job: dict[str, Any] = self._core.json(
            Call("POST", "/v1/contacts/bulk-actions", json=payload)
        )
        return job


class Tags:
    """The tenant's tags with their contact counts."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def list(self, *, limit: int | None = None) -> Pager[TagCount]:
        call = Call("GET", "/v1/tags", params=query(limit=limit))
        return Pager(self._core, call, TagCount.from_dict)
