"""The OpenAPI ``operationId`` and tag of every route, in one table.

A generated client names its functions after ``operationId`` and groups them by tag, so both
are part of the public contract: short, stable, ``<resource>_<action>``. FastAPI's default
(``list_contacts_v1_contacts_get``) follows the Python function name and the path, and would
change with either. ``operation_id`` is the app's ``generate_unique_id_function``; a route
missing from the table (a new one) gets a name made from its path until it has an entry, and
``tests/app/test_document.py`` keeps the table in step with the routes.
"""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

# (method, path) → operationId; the resource (the tag) is the part before the first "_"
# unless a longer resource prefix below matches.
OPERATIONS: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "system_health",
    ("GET", "/readyz"): "system_ready",
    ("GET", "/problems/{code}"): "system_problem",
    ("GET", "/metrics"): "system_metrics",
    ("POST", "/v1/contacts"): "contacts_create",
    ("GET", "/v1/contacts"): "contacts_list",
    ("GET", "/v1/contacts/lookup"): "contacts_lookup",
    ("POST", "/v1/contacts/upsert"): "contacts_upsert",
    ("POST", "/v1/contacts/search"): "contacts_search",
    ("POST", "/v1/contacts/batch"): "contacts_batch",
    ("POST", "/v1/contacts/bulk-actions"): "contacts_bulk_action",
    ("GET", "/v1/contacts/export"): "contacts_export",
    ("POST", "/v1/contacts/export"): "contacts_export_by_filter",
    ("GET", "/v1/contacts/{contact_id}"): "contacts_get",
    ("PATCH", "/v1/contacts/{contact_id}"): "contacts_update",
    ("PUT", "/v1/contacts/{contact_id}"): "contacts_replace",
    ("DELETE", "/v1/contacts/{contact_id}"): "contacts_archive",
    ("POST", "/v1/contacts/{contact_id}/restore"): "contacts_restore",
    ("POST", "/v1/contacts/{contact_id}/tags"): "contacts_tags_add",
    ("DELETE", "/v1/contacts/{contact_id}/tags/{tag}"): "contacts_tags_remove",
    ("POST", "/v1/contacts/{contact_id}/merge"): "contacts_merge",
    ("GET", "/v1/contacts/{contact_id}/duplicates"): "contacts_duplicates",
    ("GET", "/v1/contacts/{contact_id}/export"): "contacts_personal_data",
    ("GET", "/v1/tags"): "tags_list",
    ("GET", "/v1/contacts/{contact_id}/preferences"): "consent_preferences_get",
    ("PUT", "/v1/contacts/{contact_id}/preferences"): "consent_preferences_set",
    ("GET", "/v1/contacts/{contact_id}/consent"): "consent_history",
    ("GET", "/v1/optouts"): "consent_optouts",
    ("GET", "/v1/contacts/{contact_id}/notes"): "notes_list",
    ("POST", "/v1/contacts/{contact_id}/notes"): "notes_create",
    ("PATCH", "/v1/contacts/{contact_id}/notes/{note_id}"): "notes_update",
    ("DELETE", "/v1/contacts/{contact_id}/notes/{note_id}"): "notes_delete",
    ("POST", "/v1/contacts/{contact_id}/activities"): "activities_create",
    ("GET", "/v1/contacts/{contact_id}/activities"): "activities_list",
    ("POST", "/v1/activities/batch"): "activities_batch",
    ("POST", "/v1/imports"): "imports_create",
    ("GET", "/v1/imports"): "imports_list",
    ("GET", "/v1/imports/{import_id}"): "imports_get",
    ("POST", "/v1/imports/{import_id}/cancel"): "imports_cancel",
    ("GET", "/v1/imports/{import_id}/errors"): "imports_errors",
    ("GET", "/v1/jobs/{job_id}"): "jobs_get",
    ("GET", "/v1/events"): "events_list",
    ("POST", "/v1/api-keys"): "api_keys_create",
    ("GET", "/v1/api-keys"): "api_keys_list",
    ("GET", "/v1/api-keys/{key_id}"): "api_keys_get",
    ("DELETE", "/v1/api-keys/{key_id}"): "api_keys_revoke",
    ("GET", "/v1/fields"): "fields_list",
    ("POST", "/v1/fields"): "fields_create",
    ("GET", "/v1/fields/{key}"): "fields_get",
    ("PATCH", "/v1/fields/{key}"): "fields_update",
    ("DELETE", "/v1/fields/{key}"): "fields_delete",
    ("POST", "/v1/webhooks"): "webhooks_create",
    ("GET", "/v1/webhooks"): "webhooks_list",
    ("GET", "/v1/webhooks/{webhook_id}"): "webhooks_get",
    ("PATCH", "/v1/webhooks/{webhook_id}"): "webhooks_update",
    ("DELETE", "/v1/webhooks/{webhook_id}"): "webhooks_delete",
    ("POST", "/v1/webhooks/{webhook_id}/rotate-secret"): "webhooks_rotate_secret",
    ("POST", "/v1/webhooks/{webhook_id}/test"): "webhooks_test",
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"): "webhooks_deliveries_list",
    (
        "POST",
        "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    ): "webhooks_deliveries_retry",
    ("GET", "/v1/lists"): "lists_list",
    ("POST", "/v1/lists"): "lists_create",
    ("GET", "/v1/lists/{list_id}"): "lists_get",
    ("PATCH", "/v1/lists/{list_id}"): "lists_update",
    ("DELETE", "/v1/lists/{list_id}"): "lists_delete",
    ("GET", "/v1/lists/{list_id}/members"): "lists_members_list",
    ("POST", "/v1/lists/{list_id}/members"): "lists_members_add",
    ("DELETE", "/v1/lists/{list_id}/members/{contact_id}"): "lists_members_remove",
    ("GET", "/v1/segments"): "segments_list",
    ("POST", "/v1/segments"): "segments_create",
    ("POST", "/v1/segments/preview"): "segments_preview",
    ("GET", "/v1/segments/{segment_id}"): "segments_get",
    ("PATCH", "/v1/segments/{segment_id}"): "segments_update",
    ("DELETE", "/v1/segments/{segment_id}"): "segments_delete",
    ("GET", "/v1/segments/{segment_id}/contacts"): "segments_contacts",
}

# Resources whose name holds an underscore; every other resource is one word.
_LONG_RESOURCES = ("api_keys",)


def operation_id(route: APIRoute) -> str:
    """The ``operationId`` of ``route`` (FastAPI's ``generate_unique_id_function``)."""
    method = min(route.methods or {"GET"})
    known = OPERATIONS.get((method, route.path_format))
    if known is not None:
        return known
    # Not in the table yet: <first path segment>_<function name>, stable while both are.
    parts = [p for p in route.path_format.split("/") if p and p != "v1" and "{" not in p]
    resource = re.sub(r"\W", "_", parts[0] if parts else "system")
    return f"{resource}_{route.name}"


def tag_of(operation: str) -> str:
    """The resource an operationId belongs to, which is its tag."""
    for resource in _LONG_RESOURCES:
        if operation.startswith(resource + "_"):
            return resource.replace("_", "-")
    return operation.split("_", 1)[0]
