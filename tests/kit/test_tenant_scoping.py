"""Every SQL statement Roster runs against a tenant-owned table is scoped by tenant_id.

A listener on the real engine (SQLAlchemy's public ``before_cursor_execute`` event) records
every statement while a broad workload runs through the HTTP API; each statement that reads
or writes a tenant-owned table must constrain (or, for inserts, set) ``tenant_id`` for every
tenant-owned table it names. The only unscoped table is ``api_keys`` in the credential
look-up by key hash, which is what finds the tenant in the first place. Reads by id, which
go straight to the driver when nothing listens (``roster.kit.db.direct``), must be seen
too: every one of them is checked to have run a recorded statement.
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
# A table named in FROM/JOIN/UPDATE, with the alias it goes by (if any).
_NAMED = re.compile(r"\b(?:FROM|JOIN|UPDATE)\s+\"?(\w+)\"?(?:\s+AS\s+\"?(\w+)\"?)?", re.IGNORECASE)


def unscoped(statement: str) -> bool:
    """Whether ``statement`` touches a tenant-owned table without a tenant condition on it:
    an insert that does not set ``tenant_id``, or a read, update or delete in which some
    tenant-owned table (by its name or alias) has no ``<table>.tenant_id`` in a condition
    (a WHERE, or the ON of its join; a single table may say plain ``tenant_id``)."""
    sql = " ".join(statement.split())
    head = sql.split(" ", 1)[0].upper()
    if head == "INSERT":
        tables = {t for t in _TABLE.findall(sql) if t in TENANT_TABLES}
        return bool(tables) and "tenant_id" not in sql.split(")", 1)[0]
    if head not in ("SELECT", "UPDATE", "DELETE", "WITH"):
        return False
    named = [(t, alias or t) for t, alias in _NAMED.findall(sql) if t in TENANT_TABLES]
    upper = sql.upper()
    conditions = " ".join(
        part.split(" ON ", 1)[1] for part in upper.split(" JOIN ")[1:] if " ON " in part
    )
    if " WHERE " in upper:
        conditions += " " + upper.split(" WHERE ", 1)[1]
    for table, name in named:
        if table == "api_keys" and "API_KEYS.KEY_HASH" in conditions:
            continue  # the credential look-up: it finds the tenant
        if f"{name.upper()}.TENANT_ID" in conditions:
            continue
        if len(named) == 1 and "TENANT_ID" in conditions:
            continue
        return True
    return False


def test_the_checker_itself_catches_an_unscoped_query():
    assert unscoped("SELECT contacts.id FROM contacts WHERE contacts.phone = ?")
    assert unscoped("UPDATE contacts SET version=? WHERE contacts.id = ?")
    assert unscoped("DELETE FROM contact_tags")
    assert not unscoped("SELECT contacts.id FROM contacts WHERE contacts.tenant_id = ? AND x")
    assert unscoped("INSERT INTO contacts (id, phone) VALUES (?, ?)")
    assert not unscoped("INSERT INTO contacts (tenant_id, id) VALUES (?, ?)")
    # A join scopes each tenant table it names, the credential look-up included.
    key_and_contact = (
        "SELECT api_keys.id, contacts.id AS c_id FROM api_keys JOIN tenants ON tenants.id = "
        "api_keys.tenant_id LEFT OUTER JOIN contacts ON contacts.tenant_id = "
        "api_keys.tenant_id AND contacts.id = $2 WHERE api_keys.key_hash = $1"
    )
    assert not unscoped(key_and_contact)
    assert unscoped(key_and_contact.replace("contacts.tenant_id = api_keys.tenant_id AND ", ""))
    assert unscoped("SELECT api_keys.id FROM api_keys WHERE api_keys.name = ?")
    assert unscoped(
        "SELECT contacts.id FROM contacts JOIN contact_tags ON contact_tags.contact_id = "
        "contacts.id WHERE contacts.tenant_id = ?"
    )


async def test_every_statement_of_a_broad_workload_is_tenant_scoped(env, client):
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        # The embedded job worker claims jobs of every tenant, by design; requests may not.
        task = asyncio.current_task()
        if task is None or not task.get_name().startswith(BACKGROUND_PREFIX):
            seen.append(statement)

    async def read_by_id(contact_id: str) -> None:
        before = len(seen)
        assert (await client.get(f"/v1/contacts/{contact_id}")).status_code == 200
        # The read's own statement was recorded (a read that skipped the listener would
        # leave no statement on contacts).
        assert any(" contacts" in s for s in seen[before:]), seen[before:]

    engine = env.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        a = await make_contact(client, phone="+14155550160", tags=["x"], email="a@example.com")
        for _ in range(3):
            await read_by_id(a["id"])
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
