"""compile_filter as a library call (as exports and bulk actions use it): field-definition
typing and errors, run directly against each engine."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from roster.errors import ValidationFailed
from roster.filters import compile_filter
from roster.kit.db import transaction
from roster.models import contacts
from tests.conftest import Env, make_contact


async def matching(env: Env, tenant_id: uuid.UUID, expr: Any, **options: Any) -> set[str]:
    where = compile_filter(expr, tenant_id, **options)
    query = select(contacts.c.id).where(
        contacts.c.tenant_id == tenant_id, contacts.c.deleted_at.is_(None), where
    )
    async with transaction(env.app.state.engine, write=False) as conn:
        return {str(row[0]) for row in await conn.execute(query)}


async def test_definitions_type_the_comparison(env: Env) -> None:
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        early = await make_contact(http, custom_fields={"renews": "2026-01-15T10:00:00+02:00"})
        late = await make_contact(http, custom_fields={"renews": "2026-03-01"})
    dates = {"renews": "date"}
    # With a date definition, eq compares instants (10:00+02:00 is 08:00Z).
    expr = {"field": "custom_fields.renews", "op": "eq", "value": "2026-01-15T08:00:00Z"}
    assert await matching(env, tenant_id, expr, definitions=dates) == {early["id"]}
    assert await matching(env, tenant_id, expr) == set()  # without: string equality
    later = {"field": "custom_fields.renews", "op": "gt", "value": "2026-02-01"}
    assert await matching(env, tenant_id, later, definitions=dates) == {late["id"]}
    with pytest.raises(ValidationFailed) as caught:
        compile_filter(
            {"all": [{"field": "custom_fields.renews", "op": "eq", "value": 5}]},
            tenant_id,
            definitions=dates,
        )
    assert caught.value.errors[0].field == "filter.all[0].value"
    with pytest.raises(ValidationFailed):
        compile_filter(
            {"field": "custom_fields.n", "op": "contains", "value": "1"},
            tenant_id,
            definitions={"n": "number"},
        )


async def test_phone_region_and_raw_dicts(env: Env, client: httpx.AsyncClient) -> None:
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        uk = await make_contact(http, phone="+442079460000")
    expr = {"field": "phone", "op": "eq", "value": "020 7946 0000"}
    assert await matching(env, tenant_id, expr, region="GB") == {uk["id"]}
    with pytest.raises(ValidationFailed) as caught:
        compile_filter(expr, tenant_id, region="US")
    assert caught.value.errors[0].field == "filter.value"
    with pytest.raises(ValidationFailed) as bad:
        compile_filter({"all": [{"field": "x", "op": "eq", "value": 1}]}, tenant_id, prefix="f")
    assert bad.value.errors[0].field == "f.all[0].field"
