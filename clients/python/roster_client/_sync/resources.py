# Written by clients/python/tools/generate.py from roster_client/_async; do not edit.
"""``client.lists``, ``segments``, ``consent``, ``activities``, ``notes``, ``events``,
``fields``, ``api_keys`` and ``webhooks``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from roster_client._common import Body, Call, body, query, write_headers
from roster_client._generated.models import (
    Activity,
    ActivityBatchResponse,
    ApiKey,
    ApiKeyCreated,
    ConsentEvent,
    Contact,
    Delivery,
    Event,
    FieldDefinition,
    ListDetail,
    ListSummary,
    MembersAdded,
    Note,
    Preferences,
    Preview,
    Secret,
    SegmentDetail,
    SegmentSummary,
    TestResult,
    Webhook,
    WebhookWithSecret,
)
from roster_client._sync.core import Core, Pager
from roster_client.webhooks import verify

Filter = Mapping[str, Any]


class Lists:
    """Static lists of contacts."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(self, name: str, *, description: str | None = None) -> ListDetail:
        call = Call("POST", "/v1/lists", json=query(name=name, description=description))
        return self._core.model(call, ListDetail.from_dict)

    def get(self, list_id: str) -> ListDetail:
        return self._core.model(Call("GET", f"/v1/lists/{list_id}"), ListDetail.from_dict)

    def update(
        self, list_id: str, changes: Body, *, if_match: str | int | None = None
    ) -> ListDetail:
        call = Call(
            "PATCH", f"/v1/lists/{list_id}", json=body(changes, {}), headers=write_headers(if_match)
        )
        return self._core.model(call, ListDetail.from_dict)

    def delete(self, list_id: str, *, if_match: str | int | None = None) -> None:
        self._core.json(Call("DELETE", f"/v1/lists/{list_id}", headers=write_headers(if_match)))

    def list(self, *, limit: int | None = None) -> Pager[ListSummary]:
        call = Call("GET", "/v1/lists", params=query(limit=limit))
        return Pager(self._core, call, ListSummary.from_dict)

    def members(
        self, list_id: str, *, sort: str | None = None, limit: int | None = None
    ) -> Pager[Contact]:
        call = Call("GET", f"/v1/lists/{list_id}/members", params=query(sort=sort, limit=limit))
        return Pager(self._core, call, Contact.from_dict)

    def add_members(self, list_id: str, contact_ids: Sequence[str]) -> MembersAdded:
        call = Call("POST", f"/v1/lists/{list_id}/members", json={"contact_ids": [*contact_ids]})
        return self._core.model(call, MembersAdded.from_dict)

    def remove_member(self, list_id: str, contact_id: str) -> None:
        self._core.json(Call("DELETE", f"/v1/lists/{list_id}/members/{contact_id}"))


class Segments:
    """Dynamic segments: a saved filter expression, its members always current."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(
        self,
        name: str,
        filter: Filter,
        *,
        description: str | None = None,
    ) -> SegmentDetail:
        payload = query(name=name, filter=filter, description=description)
        call = Call("POST", "/v1/segments", json=payload)
        return self._core.model(call, SegmentDetail.from_dict)

    def get(self, segment_id: str) -> SegmentDetail:
        call = Call("GET", f"/v1/segments/{segment_id}")
        return self._core.model(call, SegmentDetail.from_dict)

    def update(
        self, segment_id: str, changes: Body, *, if_match: str | int | None = None
    ) -> SegmentDetail:
        call = Call(
            "PATCH",
            f"/v1/segments/{segment_id}",
            json=body(changes, {}),
            headers=write_headers(if_match),
        )
        return self._core.model(call, SegmentDetail.from_dict)

    def delete(self, segment_id: str, *, if_match: str | int | None = None) -> None:
        call = Call("DELETE", f"/v1/segments/{segment_id}", headers=write_headers(if_match))
        self._core.json(call)

    def list(self, *, limit: int | None = None) -> Pager[SegmentSummary]:
        call = Call("GET", "/v1/segments", params=query(limit=limit))
        return Pager(self._core, call, SegmentSummary.from_dict)

    def contacts(
        self, segment_id: str, *, sort: str | None = None, limit: int | None = None
    ) -> Pager[Contact]:
        params = query(sort=sort, limit=limit)
        call = Call("GET", f"/v1/segments/{segment_id}/contacts", params=params)
        return Pager(self._core, call, Contact.from_dict)

    def preview(self, filter: Filter) -> Preview:
        call = Call("POST", "/v1/segments/preview", json={"filter": filter})
        return self._core.model(call, Preview.from_dict)


class Consent:
    """Channel preferences, their history and the opt-outs."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def get(self, contact_id: str) -> Preferences:
        call = Call("GET", f"/v1/contacts/{contact_id}/preferences")
        return self._core.model(call, Preferences.from_dict)

    def set(
        self,
        contact_id: str,
        preferences: Mapping[str, str],
        *,
        source: str,
        note: str | None = None,
        if_match: str | int | None = None,
    ) -> Preferences:
        """Change channels (``{"sms": "opted_out"}``); ``source`` says why (``keyword:STOP``)."""
        payload = query(preferences=dict(preferences), source=source, note=note)
        call = Call(
            "PUT",
            f"/v1/contacts/{contact_id}/preferences",
            json=payload,
            headers=write_headers(if_match),
        )
        return self._core.model(call, Preferences.from_dict)

    def history(self, contact_id: str, *, limit: int | None = None) -> Pager[ConsentEvent]:
        call = Call("GET", f"/v1/contacts/{contact_id}/consent", params=query(limit=limit))
        return Pager(self._core, call, ConsentEvent.from_dict)

    def optouts(
        self, *, channel: str | None = None, q: str | None = None, limit: int | None = None
    ) -> Pager[Contact]:
        call = Call("GET", "/v1/optouts", params=query(channel=channel, q=q, limit=limit))
        return Pager(self._core, call, Contact.from_dict)


class Activities:
    """A contact's timeline: messages, calls and custom activities."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(self, contact_id: str, type: str, **fields: Any) -> Activity:
        """Record an activity; the same ``external_id`` gives back the same activity."""
        call = Call("POST", f"/v1/contacts/{contact_id}/activities", json={"type": type, **fields})
        return self._core.model(call, Activity.from_dict)

    def list(
        self,
        contact_id: str,
        *,
        type: str | None = None,
        channel: str | None = None,
        limit: int | None = None,
    ) -> Pager[Activity]:
        params = query(type=type, channel=channel, limit=limit)
        call = Call("GET", f"/v1/contacts/{contact_id}/activities", params=params)
        return Pager(self._core, call, Activity.from_dict)

    def batch(self, activities: Sequence[Mapping[str, Any]]) -> ActivityBatchResponse:
        """Up to 1,000 activities, each naming its contact by contact_id, phone or email."""
        payload = {"activities": [dict(a) for a in activities]}
        call = Call("POST", "/v1/activities/batch", json=payload)
        return self._core.model(call, ActivityBatchResponse.from_dict)


class Notes:
    """Notes on a contact."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(self, contact_id: str, body: str, *, author: str | None = None) -> Note:
        call = Call(
            "POST", f"/v1/contacts/{contact_id}/notes", json=query(body=body, author=author)
        )
        return self._core.model(call, Note.from_dict)

    def list(self, contact_id: str, *, limit: int | None = None) -> Pager[Note]:
        call = Call("GET", f"/v1/contacts/{contact_id}/notes", params=query(limit=limit))
        return Pager(self._core, call, Note.from_dict)

    def update(self, contact_id: str, note_id: str, changes: Body) -> Note:
        call = Call("PATCH", f"/v1/contacts/{contact_id}/notes/{note_id}", json=body(changes, {}))
        return self._core.model(call, Note.from_dict)

    def delete(self, contact_id: str, note_id: str) -> None:
        self._core.json(Call("DELETE", f"/v1/contacts/{contact_id}/notes/{note_id}"))


class Events:
    """The change feed, oldest first."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def list(
        self,
        *,
        after: str | None = None,
        type: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Pager[Event]:
        params = query(after=after, type=[*type] if type else None, limit=limit)
        return Pager(self._core, Call("GET", "/v1/events", params=params), Event.from_dict)


class Fields:
    """Custom field definitions (admin)."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(
        self,
        key: str,
        label: str,
        type: str,
        *,
        options: Sequence[str] | None = None,
    ) -> FieldDefinition:
        payload = query(key=key, label=label, type=type, options=[*options] if options else None)
        call = Call("POST", "/v1/fields", json=payload)
        return self._core.model(call, FieldDefinition.from_dict)

    def list(self) -> Sequence[FieldDefinition]:
        raw = self._core.json(Call("GET", "/v1/fields"))
        return [FieldDefinition.from_dict(item) for item in raw["data"]]

    def get(self, key: str) -> FieldDefinition:
        return self._core.model(Call("GET", f"/v1/fields/{key}"), FieldDefinition.from_dict)

    def update(self, key: str, changes: Body) -> FieldDefinition:
        call = Call("PATCH", f"/v1/fields/{key}", json=body(changes, {}))
        return self._core.model(call, FieldDefinition.from_dict)

    def delete(self, key: str) -> None:
        self._core.json(Call("DELETE", f"/v1/fields/{key}"))


class ApiKeys:
    """API keys of the tenant (admin); a key's secret is shown only at creation."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(
        self,
        name: str,
        scopes: Sequence[str],
        *,
        expires_at: str | None = None,
        rate_limit: str | None = None,
    ) -> ApiKeyCreated:
        """A new key; ``rate_limit`` (``"100/minute"``) overrides the server's default."""
        payload = query(name=name, scopes=[*scopes], expires_at=expires_at, rate_limit=rate_limit)
        return self._core.model(Call("POST", "/v1/api-keys", json=payload), ApiKeyCreated.from_dict)

    def list(self, *, limit: int | None = None) -> Pager[ApiKey]:
        call = Call("GET", "/v1/api-keys", params=query(limit=limit))
        return Pager(self._core, call, ApiKey.from_dict)

    def get(self, key_id: str) -> ApiKey:
        return self._core.model(Call("GET", f"/v1/api-keys/{key_id}"), ApiKey.from_dict)

    def revoke(self, key_id: str) -> None:
        self._core.json(Call("DELETE", f"/v1/api-keys/{key_id}"))


class Webhooks:
    """Webhook endpoints (admin), their deliveries, and verifying what they receive."""

    verify = staticmethod(verify)

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(
        self, url: str, events: Sequence[str], *, description: str | None = None
    ) -> WebhookWithSecret:
        """Register an endpoint; keep the returned ``secret`` (shown only here)."""
        payload = query(url=url, events=[*events], description=description)
        call = Call("POST", "/v1/webhooks", json=payload)
        return self._core.model(call, WebhookWithSecret.from_dict)

    def get(self, webhook_id: str) -> Webhook:
        call = Call("GET", f"/v1/webhooks/{webhook_id}")
        return self._core.model(call, Webhook.from_dict)

    def update(self, webhook_id: str, changes: Body) -> Webhook:
        call = Call("PATCH", f"/v1/webhooks/{webhook_id}", json=body(changes, {}))
        return self._core.model(call, Webhook.from_dict)

    def delete(self, webhook_id: str) -> None:
        self._core.json(Call("DELETE", f"/v1/webhooks/{webhook_id}"))

    def list(self, *, limit: int | None = None) -> Pager[Webhook]:
        call = Call("GET", "/v1/webhooks", params=query(limit=limit))
        return Pager(self._core, call, Webhook.from_dict)

    def rotate_secret(self, webhook_id: str) -> Secret:
        call = Call("POST", f"/v1/webhooks/{webhook_id}/rotate-secret")
        return self._core.model(call, Secret.from_dict)

    def test(self, webhook_id: str) -> TestResult:
        call = Call("POST", f"/v1/webhooks/{webhook_id}/test")
        return self._core.model(call, TestResult.from_dict)

    def deliveries(self, webhook_id: str, *, limit: int | None = None) -> Pager[Delivery]:
        params = query(limit=limit)
        call = Call("GET", f"/v1/webhooks/{webhook_id}/deliveries", params=params)
        return Pager(self._core, call, Delivery.from_dict)

    def retry_delivery(self, webhook_id: str, delivery_id: str) -> dict[str, Any]:
        call = Call("POST", f"/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")
        answer: dict[str, Any] = self._core.json(call)
        return answer
