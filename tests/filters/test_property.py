"""Property: for random expressions over a random population, the SQL answer on each engine
equals the pure-Python evaluator's (tests/filters/evaluator.py)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Env
from tests.filters.evaluator import matches

STATUSES = ["lead", "customer", "Lead", None]
COMPANIES = ["Acme", "acme_x", "Ac%me", "Globex", None]
NAMES = ["Ann", "anna", "Bob", "Zed", None]
COUNTRIES = ["US", "CA", None]
TAGS = ["a", "b", "c", "d"]
NUMBERS = [0, 1, 2.5, 10, -3, 1000]
TEXTS = ["x", "y", "10", "X-ray", "1"]
DATES = ["2020-05-01", "2024-02-29T12:00:00Z", "2025-06-30T23:30:00-02:00", "2026-01-01 08:00"]
POPULATION = 36
ACTIVITY_TYPES = ["message.sent", "call.completed"]
# Days before the population is built: within_last spans (7d, 30d, 400d) fall between them.
ACTIVITY_AGES = [1, 3, 12, 60, 900]

_cache: dict[str, tuple[str, list[dict[str, Any]], dict[str, set[str]], list[str]]] = {}


def _custom(rng: random.Random) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.5:
        fields["n"] = rng.choice(NUMBERS)
    elif roll < 0.7:
        fields["n"] = rng.choice(TEXTS)
    elif roll < 0.8:
        fields["n"] = rng.choice([True, False])
    if rng.random() < 0.6:
        fields["s"] = rng.choice(TEXTS)
    if rng.random() < 0.6:
        fields["d"] = rng.choice([*DATES, "not a date", 20240101])
    if rng.random() < 0.5:
        fields["flag"] = rng.choice([True, False])
    return fields


async def population(
    env: Env,
) -> tuple[str, list[dict[str, Any]], dict[str, set[str]], list[str]]:
    """A tenant with random contacts (some archived) and two lists; built once per engine."""
    if env.name in _cache:
        return _cache[env.name]
    rng = random.Random(20261123)
    _, key = await env.tenant()
    contacts: list[dict[str, Any]] = []
    async with env.client(key) as http:
        list_ids = [
            (await http.post("/v1/lists", json={"name": f"L{i}"})).json()["id"] for i in range(2)
        ]
        for i in range(POPULATION):
            body = {
                "email": f"P{i}.Person@Example.com",
                "first_name": rng.choice(NAMES),
                "company": rng.choice(COMPANIES),
                "status": rng.choice(STATUSES),
                "country": rng.choice(COUNTRIES),
                "tags": rng.sample(TAGS, rng.randint(0, 3)),
                "custom_fields": _custom(rng),
                "suppressed": rng.random() < 0.3,
                "preferences": {"sms": rng.choice(["opted_in", "opted_out", "unknown"])},
            }
            response = await http.post("/v1/contacts", json=body)
            assert response.status_code == 201, response.text
            contacts.append(response.json())
        members: dict[str, set[str]] = {c["id"]: set() for c in contacts}
        for list_id in list_ids:
            chosen = [c["id"] for c in contacts if rng.random() < 0.4]
            await http.post(f"/v1/lists/{list_id}/members", json={"contact_ids": chosen})
            for cid in chosen:
                members[cid].add(list_id)
        activities: list[dict[str, Any]] = []
        built = datetime.now(UTC)
        for contact in contacts:
            contact["_activities"] = []
            for _ in range(rng.choice([0, 0, 1, 2, 3])):
                kind = rng.choice(ACTIVITY_TYPES)
                at = built - timedelta(days=rng.choice(ACTIVITY_AGES), minutes=rng.randint(0, 90))
                stamp = at.isoformat().replace("+00:00", "Z")
                contact["_activities"].append({"type": kind, "occurred_at": stamp})
                activities.append({"contact_id": contact["id"], "type": kind, "occurred_at": stamp})
        response = await http.post("/v1/activities/batch", json={"activities": activities})
        assert response.status_code in (200, 201, 207), response.text
        for archived in rng.sample(contacts, 4):
            assert (await http.delete(f"/v1/contacts/{archived['id']}")).status_code == 204
            contacts.remove(archived)
    _cache[env.name] = (key, contacts, members, list_ids)
    return _cache[env.name]


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return (
        {"field": field, "op": op} if value is None else {"field": field, "op": op, "value": value}
    )


def text_leaf(field: str, words: list[str | None]) -> st.SearchStrategy[dict[str, Any]]:
    present = [w for w in words if w is not None]
    values = st.sampled_from([*present, *(w.upper() for w in present), "zz"])
    fragments = st.sampled_from(["a", "A", "c", "_", "%", "me", "x_"])
    return st.one_of(
        st.builds(cond, st.just(field), st.sampled_from(["eq", "neq"]), values),
        st.builds(
            cond,
            st.just(field),
            st.sampled_from(["in", "not_in"]),
            st.lists(values, min_size=1, max_size=3),
        ),
        st.builds(
            cond,
            st.just(field),
            st.sampled_from(["contains", "starts_with", "ends_with"]),
            fragments,
        ),
        st.builds(cond, st.just(field), st.sampled_from(["exists", "not_exists"])),
    )


def leaves(list_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    numbers = st.sampled_from([*NUMBERS, 5, 1e3])
    scalars = st.one_of(numbers, st.sampled_from(TEXTS), st.booleans())
    dates = st.sampled_from([*DATES, "2023-01-01T00:00:00+05:00", "2025-06-30"])
    lists = st.sampled_from([*list_ids, str(uuid.UUID(int=7))])
    orderings = st.sampled_from(["gt", "gte", "lt", "lte"])
    set_ops = st.sampled_from(["has_any", "has_all", "has_none"])
    return st.one_of(
        text_leaf("status", STATUSES),
        text_leaf("company", COMPANIES),
        text_leaf("first_name", NAMES),
        text_leaf("country", ["us", *COUNTRIES]),
        st.builds(
            cond,
            st.just("email"),
            st.sampled_from(["eq", "neq"]),
            st.sampled_from(["p1.person@example.COM", "P2.Person@Example.com", "no@x.y"]),
        ),
        st.builds(
            cond,
            st.just("email"),
            st.sampled_from(["contains", "ends_with"]),
            st.sampled_from(["EXAMPLE", "1.p", "@example.com"]),
        ),
        st.builds(cond, st.just("suppressed"), st.sampled_from(["eq", "neq"]), st.booleans()),
        st.builds(
            cond,
            st.just("preferences.sms"),
            st.sampled_from(["eq", "neq"]),
            st.sampled_from(["opted_in", "opted_out", "unknown"]),
        ),
        st.builds(cond, st.just("tags"), st.just("has"), st.sampled_from(TAGS)),
        st.builds(
            cond, st.just("tags"), set_ops, st.lists(st.sampled_from(TAGS), min_size=1, max_size=3)
        ),
        st.builds(cond, st.just("tags"), st.sampled_from(["exists", "not_exists"])),
        st.builds(cond, st.just("lists"), st.just("has"), lists),
        st.builds(cond, st.just("lists"), set_ops, st.lists(lists, min_size=1, max_size=2)),
        st.builds(cond, st.just("custom_fields.n"), st.sampled_from(["eq", "neq"]), scalars),
        st.builds(
            cond,
            st.just("custom_fields.n"),
            st.sampled_from(["in", "not_in"]),
            st.one_of(
                st.lists(st.one_of(numbers, st.booleans()), min_size=1, max_size=3),
                st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3),
            ),
        ),
        st.builds(cond, st.just("custom_fields.n"), orderings, numbers),
        st.builds(
            cond,
            st.just("custom_fields.n"),
            st.just("between"),
            st.lists(numbers, min_size=2, max_size=2).map(sorted),
        ),
        st.builds(
            cond,
            st.sampled_from(["custom_fields.n", "custom_fields.s", "custom_fields.d"]),
            st.sampled_from(["exists", "not_exists"]),
        ),
        st.builds(
            cond,
            st.just("custom_fields.s"),
            st.sampled_from(["eq", "neq", "contains", "starts_with"]),
            st.sampled_from(TEXTS),
        ),
        st.builds(cond, st.just("custom_fields.d"), orderings, dates),
        st.builds(
            cond,
            st.just("custom_fields.d"),
            st.just("between"),
            st.lists(dates, min_size=2, max_size=2),
        ),
        st.builds(
            cond,
            st.just("custom_fields.d"),
            st.sampled_from(["within_last", "not_within_last"]),
            st.sampled_from(["400d", "1000d", "300w"]),
        ),
        st.builds(
            cond, st.just("custom_fields.flag"), st.sampled_from(["eq", "neq"]), st.booleans()
        ),
        st.builds(
            cond,
            st.just("created_at"),
            st.sampled_from(["within_last", "not_within_last"]),
            st.sampled_from(["1h", "90m"]),
        ),
        st.builds(cond, st.just("created_at"), orderings, st.just("2020-01-01T00:00:00Z")),
        st.builds(
            cond,
            st.just("activity.last_at"),
            st.sampled_from(["within_last", "not_within_last"]),
            st.sampled_from(["7d", "30d", "400d"]),
        ),
        st.builds(cond, st.just("activity.last_at"), st.sampled_from(["exists", "not_exists"])),
        st.builds(
            cond,
            st.just("activity.last_at"),
            orderings,
            st.sampled_from(["2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z"]),
        ),
        st.builds(
            cond,
            st.sampled_from([f"activity.{t}.count" for t in [*ACTIVITY_TYPES, "custom.none"]]),
            st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte"]),
            st.sampled_from([0, 1, 2, 1.5]),
        ),
        st.builds(
            cond,
            st.just("activity.message.sent.count"),
            st.sampled_from(["in", "not_in", "between"]),
            st.lists(st.sampled_from([0, 1, 2, 3]), min_size=2, max_size=2).map(sorted),
        ),
    )


def expressions(list_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        leaves(list_ids),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda parts: {"all": parts}),
            st.lists(inner, max_size=3).map(lambda parts: {"any": parts}),
            inner.map(lambda part: {"not": part}),
        ),
        max_leaves=8,
    )


def depth(expr: dict[str, Any]) -> int:
    if "field" in expr:
        return 0
    parts = expr.get("all") or expr.get("any") or ([expr["not"]] if "not" in expr else [])
    return 1 + max((depth(p) for p in parts), default=0)


async def _search(http: httpx.AsyncClient, expr: dict[str, Any]) -> set[str]:
    response = await http.post("/v1/contacts/search", json={"filter": expr, "limit": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body["has_more"]
    return {c["id"] for c in body["data"]}


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
@given(data=st.data())
async def test_sql_matches_python(env: Env, data: st.DataObject) -> None:
    key, contacts, members, list_ids = await population(env)
    expr = data.draw(expressions(list_ids).filter(lambda e: depth(e) <= 5), label="filter")
    async with env.client(key) as http:
        got = await _search(http, expr)
    now = datetime.now(UTC)
    expected = {c["id"] for c in contacts if matches(expr, c, members[c["id"]], now)}
    assert got == expected
