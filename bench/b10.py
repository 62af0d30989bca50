"""B10: console pages against the API calls that return the same data, server time p95.

Both are timed through the real app in this process (ASGI, no network): the console signed
in with the bench key's session, the API with the key. Each round times every case once,
console and API in alternating order, after a warm-up:

- contacts list: ``GET /console/contacts`` vs ``GET /v1/contacts?limit=25``;
- a search: ``GET /console/contacts?q=…`` vs ``GET /v1/contacts?q=…&limit=25`` (the terms
  rotate over names, an e-mail and a phone fragment taken from the data);
- a contact page whose timeline holds 1,000 activities: ``GET /console/contacts/{id}`` vs
  the four calls that fetch what the page shows (the contact, the first 20 activities, notes
  and consent history; their times summed per round);
- a segment preview (a tag narrowed by a nested group): ``POST /console/segments/preview``
  vs ``POST /v1/segments/preview``.

The contact's 1,000 activities are added once through ``POST /v1/activities/batch`` with
external ids, so a second run adds nothing. Prints one JSON line per case.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import inspect

from bench.setup import BenchDB
from roster.app import create_app
from roster.config import Settings
from roster.kit.db import create_engine
from roster.migrate import upgrade

ROUNDS = 200
WARMUP = 10
ACTIVITIES = 1000
# A tag's members (from its index), narrowed by a nested group. The bench data's tags are
# "<topic>-<qualifier>"; statuses lead / customer / churned.
FILTER: dict[str, Any] = {
    "all": [
        {"field": "tags", "op": "has", "value": "vip-2026"},
        {
            "any": [
                {"field": "country", "op": "in", "value": ["US", "CA", "GB"]},
                {"field": "status", "op": "eq", "value": "customer"},
            ]
        },
    ]
}
# The same filter as the builder's form sends it.
FORM = {
    "match_r": "all",
    "field_r-0": "tags",
    "op_r-0": "has",
    "value_r-0": "vip-2026",
    "match_r-1": "any",
    "field_r-1-0": "country",
    "op_r-1-0": "in",
    "value_r-1-0": "US, CA, GB",
    "field_r-1-1": "status",
    "op_r-1-1": "eq",
    "value_r-1-1": "customer",
}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 2)


async def _ok(response: Awaitable[httpx.Response]) -> httpx.Response:
    answered = await response
    if answered.status_code >= 400:
        raise RuntimeError(f"{answered.request.url}: {answered.status_code} {answered.text[:300]}")
    return answered


async def _sign_in(http: httpx.AsyncClient, key: str) -> str:
    """Sign the console client in; its CSRF token."""
    form = await _ok(http.get("/console/sign-in"))
    token = _TOKEN.search(form.text)
    assert token is not None
    signed = await http.post(
        "/console/sign-in", data={"credential": key, "csrf_token": token.group(1), "next": ""}
    )
    if signed.status_code != 303:
        raise RuntimeError(f"console sign-in failed: {signed.status_code}")
    page = await _ok(http.get("/console/segments"))
    found = _TOKEN.search(page.text)
    assert found is not None
    return found.group(1)


async def _busy_contact(api: httpx.AsyncClient) -> str:
    """The oldest-listed contact of the first page, with ``ACTIVITIES`` activities."""
    first = (await _ok(api.get("/v1/contacts", params={"limit": 1, "sort": "created_at"}))).json()
    contact_id: str = first["data"][0]["id"]
    batch = [
        {
            "contact_id": contact_id,
            "type": ("message.sent", "message.delivered", "message.read")[n % 3],
            "channel": ("sms", "whatsapp", "email")[n % 3],
            "occurred_at": f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            "summary": f"bench activity {n}",
            "external_id": f"b10-{contact_id}-{n}",
        }
        for n in range(ACTIVITIES)
    ]
    added = (await _ok(api.post("/v1/activities/batch", json={"activities": batch}))).json()
    if added["failed"]:
        raise RuntimeError(f"activities not added: {added['results'][:3]}")
    return contact_id


async def _terms(api: httpx.AsyncClient) -> list[str]:
    """Search terms as a person types them: last names, an e-mail and a phone fragment."""
    rows = (await _ok(api.get("/v1/contacts", params={"limit": 50}))).json()["data"]
    terms = [r["last_name"] for r in rows[:6] if r.get("last_name")]
    terms += [r["email"].split("@")[0] for r in rows[6:8] if r.get("email")]
    terms += [r["phone"][-7:] for r in rows[8:10] if r.get("phone")]
    return terms or ["smith"]


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def _with_sessions_table(url: str) -> None:
    """Give a bench database built before the console existed its sessions table, and
    nothing more: other benches may be using the database with the schema it was built
    with, so later migrations are not applied here."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        if "console_sessions" not in tables:
            await upgrade(engine, "0014_console_sessions")
    finally:
        await engine.dispose()


async def run(db: BenchDB, rounds: int = ROUNDS) -> list[dict[str, Any]]:
    await _with_sessions_table(db.url)
    data_dir = Path("var/bench-b10")
    data_dir.mkdir(parents=True, exist_ok=True)
    # The rate limit is checked on every request but never refuses one (as bench/servers.py).
    settings = Settings(
        database_url=db.url, data_dir=data_dir, rate_limit="1000000/second", _env_file=None
    )
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {db.key}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as api,
            httpx.AsyncClient(transport=transport, base_url="http://bench") as console,
        ):
            token = await _sign_in(console, db.key)
            contact_id = await _busy_contact(api)
            terms = await _terms(api)
            contact = f"/v1/contacts/{contact_id}"

            async def api_contact() -> None:
                await _ok(api.get(contact))
                await _ok(api.get(f"{contact}/activities", params={"limit": 20}))
                await _ok(api.get(f"{contact}/notes", params={"limit": 20}))
                await _ok(api.get(f"{contact}/consent", params={"limit": 20}))

            def cases(n: int) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
                q = terms[n % len(terms)]
                return {
                    "contacts list": (
                        lambda: _ok(console.get("/console/contacts")),
                        lambda: _ok(api.get("/v1/contacts", params={"limit": 25})),
                    ),
                    "search q": (
                        lambda: _ok(console.get("/console/contacts", params={"q": q})),
                        lambda: _ok(api.get("/v1/contacts", params={"q": q, "limit": 25})),
                    ),
                    "contact page, 1,000-activity timeline": (
                        lambda: _ok(console.get(f"/console/contacts/{contact_id}")),
                        api_contact,
                    ),
                    "segment preview, nested filter": (
                        lambda: _ok(
                            console.post(
                                "/console/segments/preview",
                                data=FORM,
                                headers={"X-CSRF-Token": token},
                            )
                        ),
                        lambda: _ok(api.post("/v1/segments/preview", json={"filter": FILTER})),
                    ),
                }

            samples: dict[str, tuple[list[float], list[float]]] = {
                name: ([], []) for name in cases(0)
            }
            for n in range(WARMUP + rounds):
                if n % 20 == 0:
                    print(f"  B10 {db.engine_name}: round {n}", file=sys.stderr, flush=True)
                for name, (ours, theirs) in cases(n).items():
                    pair = [(0, ours), (1, theirs)]
                    for side, call in pair if n % 2 else reversed(pair):
                        elapsed = await _timed(call)
                        if n >= WARMUP:
                            samples[name][side].append(elapsed)
    figures = []
    for name, (console_ms, api_ms) in samples.items():
        figures.append(
            {
                "scenario": "B10",
                "engine": db.engine_name,
                "size": db.size,
                "what": name,
                "rounds": rounds,
                "baseline_p50_ms": pct(api_ms, 0.5),
                "baseline_p95_ms": pct(api_ms, 0.95),
                "ours_p50_ms": pct(console_ms, 0.5),
                "ours_p95_ms": pct(console_ms, 0.95),
                "ratio_p95": round(pct(console_ms, 0.95) / pct(api_ms, 0.95), 3),
            }
        )
    return figures
