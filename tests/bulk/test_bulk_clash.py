"""A chunk whose set-based insert hits a unique index (a concurrent writer took an
identifier between the load and the write) is redone item by item, on both engines."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from roster.bulk import writer
from tests.bulk.test_bulk_side_effects import _feed
from tests.conftest import make_contact


async def test_clash_in_bulk_insert_redoes_item_by_item(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = await make_contact(client, phone="+14155559999")
    real = writer._load
    loads: list[int] = []

    async def blind(repo: Any, items: list[writer.Item]) -> list[dict[str, Any]]:
        # The chunk's load misses the existing holder, as if it had been written after it.
        loads.append(len(items))
        return [] if len(items) > 1 else await real(repo, items)

    monkeypatch.setattr(writer, "_load", blind)
    items: list[dict[str, Any]] = [
        {"phone": f"+1415555{2000 + i:04d}", "tags": ["x"]} for i in range(150)
    ]
    items.append({"phone": "+14155559999", "first_name": "Upd"})
    response = await client.post("/v1/contacts/batch", json={"contacts": items})
    out = response.json()
    assert (out["created"], out["updated"], out["failed"]) == (150, 1, 0), out
    assert loads == [151] + [1] * 151
    assert (await client.get(f"/v1/contacts/{taken['id']}")).json()["first_name"] == "Upd"
    feed = await _feed(client)
    assert len([e for e in feed if e["type"] == "contact.created"]) == 151
    assert len([e for e in feed if e["type"] == "contact.updated"]) == 1
