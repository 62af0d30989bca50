"""Every event type Roster emits, with when and the shape of its ``data`` (one line each,
for the OpenAPI description of the feed; docs/webhooks.md says more)."""

from __future__ import annotations

CATALOGUE: dict[str, str] = {
    "contact.created": "a contact was created; `{contact}`",
    "contact.updated": "a write changed a contact; `{contact, changed_fields}`",
    "contact.deleted": "a contact was archived; `{contact}`",
    "contact.restored": "an archived contact was restored; `{contact}`",
    "contact.erased": "a contact was erased; `{contact: {id}}`",
    "contact.merged": "duplicates were merged into the contact; `{contact: {id}, duplicate_ids}`",
    "contact.consent_changed": "one per channel (or `suppression`) whose consent changed; "
    "`{contact: {id}, channel, from, to, source, actor, reason}`",
    "contact.note_added": "a note was added; `{contact: {id}, note: {id, created_at}}`",
    "contact.communication_added": "an activity was stored (not for a repeated "
    "`external_id`); `{contact: {id}, activity: {id, type, channel, occurred_at, external_id}}`",
    "list.member_added": "one per contact that joined a list; `{list: {id}, contact: {id}}`",
    "list.member_removed": "one per contact taken out of a list (also when the list is "
    "deleted); `{list: {id}, contact: {id}}`",
    "import.completed": "an import finished; `{import: {id, status, total_rows, "
    "processed_rows, created, updated, skipped, failed, error}}`",
    "import.failed": "an import failed; `{import: {…, error}}`",
    "webhook.disabled": "Roster disabled a webhook endpoint; `{webhook: {id, url}, reason}`",
}


def markdown() -> str:
    return "\n".join(f"- `{name}`: {what}" for name, what in CATALOGUE.items())
