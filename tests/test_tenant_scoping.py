"""Every SQL statement Roster runs against a tenant-owned table is scoped by tenant_id.

A listener on the real engine records every statement while a broad workload runs through
the HTTP API; each statement that reads or writes a tenant-owned table must constrain (or,
for inserts, set) ``tenant_id``. The only unscoped read is the credential look-up by key
hash, which is what finds the tenant in the first place.
"""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import event

from roster.app import BACKGROUND_PREFIX
from roster.models import metadata
from tests.conftest import make_contact

TENANT_TABLES = {t.name for t in metadata.sorted_tables if "tenant_id" in t.c}
_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+\"?(\w+)\"?", re.IGNORECASE)


def unscoped(statement: str) -> bool:
    sql = " ".join(statement.split())
    tables = {t for t in _TABLE.findall(sql) if t in TENANT_TABLES}
    if not tables or "key_hash" in sql:
        return False
    head = sql.split(" ", 1)[0].upper()
    if head == "INSERT":
        return "tenant_id" not in sql.split(")", 1)[0]
    if head in ("SELECT", "UPDATE", "DELETE"):
        where = sql.upper().split(" WHERE ", 1)
        return len(where) < 2 or "TENANT_ID" not in where[1]
    return False


def test_the_checker_itself_catches_an_unscoped_query():
    assert unscoped("SELECT contacts.id FROM contacts WHERE contacts.phone = ?")
    assert unscoped("UPDATE contacts SET version=? WHERE contacts.id = ?")
    assert unscoped("DELETE FROM contact_tags")
    assert not unscoped("SELECT contacts.id FROM contacts WHERE contacts.tenant_id = ? AND x")
    assert unscoped("INSERT INTO contacts (id, phone) VALUES (?, ?)")
    assert not unscoped("INSERT INTO contacts (tenant_id, id) VALUES (?, ?)")


async def test_every_statement_of_a_broad_workload_is_tenant_scoped(env, client):
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        # The embedded job worker claims jobs of every tenant, by design; requests may not.
        task = asyncio.current_task()
        if task is None or not task.get_name().startswith(BACKGROUND_PREFIX):
            seen.append(statement)

    engine = env.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        a = await make_contact(client, phone="+14155550160", tags=["x"], email="a@example.com")
        await client.get(f"/v1/contacts/{a['id']}")
        await client.patch(f"/v1/contacts/{a['id']}", json={"tags": ["y"], "company": "C"})
        await client.post(f"/v1/contacts/{a['id']}/tags", json={"tags": ["z"]})
        await client.delete(f"/v1/contacts/{a['id']}/tags/z")
        await client.get("/v1/contacts/lookup", params={"email": "A@example.com"})
        await client.post("/v1/contacts/upsert", json={"phone": "+14155550160", "status": "s"})
        await client.post("/v1/contacts/upsert", json={"phone": "+14155550161"})
        await client.post("/v1/contacts", json={"phone": "+14155550161"})  # conflict path
        await client.get("/v1/contacts", params={"include_total": "true", "sort": "name"})
        await client.get("/v1/tags")
        await client.delete(f"/v1/contacts/{a['id']}")
        await client.post(f"/v1/contacts/{a['id']}/restore")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    touched = [s for s in seen if _TABLE.search(s)]
    assert len(touched) > 20
    offenders = [s for s in seen if unscoped(s)]
    assert offenders == []
