"""The custom field key registry behind the CSV export's columns: a key is listed once a
write of it has committed, and a write that rolls back (whole, or to a savepoint) leaves
the key to be registered by the next write of it."""

from __future__ import annotations

import pytest

from roster.exports import stream
from roster.fielddefs.registry_repository import note_keys
from roster.kit.db import transaction
from tests.conftest import Env


class _Abandon(Exception):
    pass


async def _keys(env: Env, tenant_id: object) -> list[str]:
    return await stream.custom_keys(env.app.state.engine, tenant_id)  # type: ignore[arg-type]


async def test_keys_of_a_rolled_back_write_are_registered_by_the_next(env: Env) -> None:
    tenant_id, key = await env.tenant()
    engine = env.app.state.engine
    with pytest.raises(_Abandon):
        async with transaction(engine, write=True) as conn:
            await note_keys(conn, tenant_id, [{"custom_fields": {"rolled": 1}}])
            raise _Abandon
    async with transaction(engine, write=True) as conn:
        with pytest.raises(_Abandon):
            async with conn.begin_nested():
                await note_keys(conn, tenant_id, [{"custom_fields": {"nested": 1}}])
                raise _Abandon
        await note_keys(conn, tenant_id, [{"custom_fields": {"kept": 1}}])
    assert await _keys(env, tenant_id) == ["kept"]
    async with env.client(key) as http:
        writes = ({"rolled": 2, "kept": 2}, {"nested": 3}, {"rolled": 4, "nested": 4})
        for n, fields in enumerate(writes):
            body = {"email": f"k{n}@example.com", "custom_fields": fields}
            created = await http.post("/v1/contacts", json=body)
            assert created.status_code == 201, created.text
    assert await _keys(env, tenant_id) == ["kept", "nested", "rolled"]


async def test_each_tenant_registers_its_own_keys(env: Env) -> None:
    first, first_key = await env.tenant()
    second, second_key = await env.tenant()
    for n, key in enumerate((first_key, second_key, first_key)):
        async with env.client(key) as http:
            body = {"email": f"s{n}@example.com", "custom_fields": {"shared": 1}}
            created = await http.post("/v1/contacts", json=body)
            assert created.status_code == 201, created.text
    assert await _keys(env, first) == ["shared"]
    assert await _keys(env, second) == ["shared"]
