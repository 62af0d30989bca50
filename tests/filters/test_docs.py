"""Every JSON example of docs/filters.md runs against the API, so the page cannot rot.

A ```json block is preceded by ``<!-- run: METHOD /path -->`` (and optionally
``<!-- expect: STATUS -->``, default 2xx), or by ``<!-- output -->`` when it shows a
response. A block with neither fails the test. The example list id in the page is replaced
by a real list of the test's tenant.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from tests.conftest import make_contact

DOC = Path(__file__).resolve().parents[2] / "docs" / "filters.md"
EXAMPLE_ID = "01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55"
BLOCK = re.compile(r"((?:<!--[^>]*-->\s*)*)```json\n(.*?)```", re.S)


def examples() -> list[tuple[str | None, int | None, str]]:
    found = []
    for match in BLOCK.finditer(DOC.read_text()):
        markers, body = match.group(1), match.group(2)
        run = re.search(r"<!-- run: (\w+) (\S+) -->", markers)
        expect = re.search(r"<!-- expect: (\d+) -->", markers)
        if run is None:
            assert "<!-- output -->" in markers, f"json block without a run marker:\n{body}"
            found.append((None, None, body))
            continue
        found.append(
            (f"{run.group(1)} {run.group(2)}", int(expect.group(1)) if expect else None, body)
        )
    return found


def test_the_page_has_runnable_examples() -> None:
    assert sum(1 for target, _, _ in examples() if target) >= 10


async def test_every_example_runs(client: httpx.AsyncClient) -> None:
    await make_contact(
        client,
        email="jane@example.com",
        phone="+14155551234",
        tags=["vip"],
        custom_fields={"lifetime_value": 2000, "plan": "pro"},
    )
    made = await client.post("/v1/lists", json={"name": "Docs list"})
    list_id = made.json()["id"]
    last: httpx.Response | None = None
    for target, expect, body in examples():
        if target is None:
            shown = json.loads(body)
            # A shown response is the previous example's: same status, same error fields.
            assert last is not None and last.status_code == shown["status"]
            got = [e["field"] for e in last.json().get("errors", [])]
            assert got == [e["field"] for e in shown.get("errors", [])], last.text
            continue
        method, path = target.split(" ", 1)
        payload = json.loads(body.replace(EXAMPLE_ID, list_id))
        response = last = await client.request(method, path, json=payload)
        if expect is None:
            assert 200 <= response.status_code < 300, (target, body, response.text)
        else:
            assert response.status_code == expect, (target, body, response.text)
