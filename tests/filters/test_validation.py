"""Bad filter expressions: 422 validation_error naming the path of every bad part."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


async def problems(http: httpx.AsyncClient, expr: Any) -> list[dict[str, str]]:
    response = await http.post("/v1/contacts/search", json={"filter": expr})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert response.headers["content-type"].startswith("application/problem+json")
    errors: list[dict[str, str]] = body["errors"]
    return errors


def fields(errors: list[dict[str, str]]) -> list[str]:
    return [e["field"] for e in errors]


@pytest.mark.parametrize(
    ("expr", "path"),
    [
        (
            {
                "all": [
                    {"field": "email", "op": "exists"},
                    {"field": "nope", "op": "eq", "value": 1},
                ]
            },
            "filter.all[1].field",
        ),
        (
            {
                "all": [
                    {"field": "email", "op": "exists"},
                    {"field": "tags", "op": "gt", "value": 1},
                ]
            },
            "filter.all[1].op",
        ),
        (
            {
                "any": [
                    {
                        "all": [
                            {"field": "email", "op": "exists"},
                            {"field": "email", "op": "exists"},
                            {"field": "email", "op": "bogus"},
                        ]
                    }
                ]
            },
            "filter.any[0].all[2].op",
        ),
        ({"all": [{"field": "email", "op": "eq"}]}, "filter.all[0].value"),
        (
            {"all": [{"field": "created_at", "op": "gt", "value": "yesterday"}]},
            "filter.all[0].value",
        ),
        (
            {"all": [{"field": "created_at", "op": "within_last", "value": "30 days"}]},
            "filter.all[0].value",
        ),
        ({"all": [{"field": "suppressed", "op": "eq", "value": "yes"}]}, "filter.all[0].value"),
        ({"all": [{"field": "tags", "op": "has_any", "value": []}]}, "filter.all[0].value"),
        ({"all": [{"field": "lists", "op": "has", "value": "not-a-uuid"}]}, "filter.all[0].value"),
        (
            {"all": [{"field": "preferences.sms", "op": "eq", "value": "maybe"}]},
            "filter.all[0].value",
        ),
        (
            {"all": [{"field": "preferences.fax", "op": "eq", "value": "unknown"}]},
            "filter.all[0].field",
        ),
        ({"all": [{"field": "custom_fields.a b", "op": "exists"}]}, "filter.all[0].field"),
        (
            {"all": [{"field": "custom_fields.x", "op": "gt", "value": "abc"}]},
            "filter.all[0].value",
        ),
        (
            {"all": [{"field": "custom_fields.x", "op": "between", "value": [1, "2026-01-01"]}]},
            "filter.all[0].value",
        ),
        (
            {"all": [{"field": "custom_fields.x", "op": "eq", "value": {"a": 1}}]},
            "filter.all[0].value",
        ),
        ({"all": [{"field": "email", "op": "exists", "value": 3}]}, "filter.all[0].value"),
        ({"all": [{"field": "email", "op": "exists", "extra": 1}]}, "filter.all[0].extra"),
        ({"all": [{"field": "email"}]}, "filter.all[0]"),
        ({"all": [], "any": []}, "filter"),
        ({"not": [{"field": "email", "op": "exists"}]}, "filter.not"),
        ({"all": [{"field": "phone", "op": "eq", "value": "12"}]}, "filter.all[0].value"),
        (
            {"all": [{"field": "activity.last_at", "op": "contains", "value": "30d"}]},
            "filter.all[0].op",
        ),
        (
            {"all": [{"field": "activity.message.sent.count", "op": "gt", "value": "x"}]},
            "filter.all[0].value",
        ),
        ({"all": [{"field": "activity.a b.count", "op": "gt", "value": 1}]}, "filter.all[0].field"),
        ("email = 'x'", "filter"),
    ],
)
async def test_bad_parts_are_named(client: httpx.AsyncClient, expr: Any, path: str) -> None:
    assert path in fields(await problems(client, expr))


async def test_every_bad_part_is_reported(client: httpx.AsyncClient) -> None:
    expr = {
        "all": [
            {"field": "nope", "op": "eq", "value": 1},
            {"any": [{"field": "email", "op": "contains", "value": ""}]},
            {"not": {"field": "created_at", "op": "lt", "value": 5}},
        ]
    }
    assert set(fields(await problems(client, expr))) == {
        "filter.all[0].field",
        "filter.all[1].any[0].value",
        "filter.all[2].not.value",
    }


def nested(depth: int) -> dict[str, Any]:
    expr: dict[str, Any] = {"field": "email", "op": "exists"}
    for _ in range(depth):
        expr = {"all": [expr]}
    return expr


async def test_depth_limit(client: httpx.AsyncClient) -> None:
    ok = await client.post("/v1/contacts/search", json={"filter": nested(5)})
    assert ok.status_code == 200, ok.text
    errors = await problems(client, nested(6))
    assert errors[0]["message"].startswith("groups nest at most 5")
    # Far too deep is refused the same way, not with a crash.
    assert (await client.post("/v1/contacts/search", json={"filter": nested(400)})).status_code in (
        400,
        422,
    )


async def test_condition_limit(client: httpx.AsyncClient) -> None:
    many = [{"field": "email", "op": "exists"}] * 25
    ok = await client.post(
        "/v1/contacts/search", json={"filter": {"all": [{"all": many}, {"any": many}]}}
    )
    assert ok.status_code == 200, ok.text
    errors = await problems(client, {"all": [{"all": many}, {"any": many}, many[0]]})
    assert "at most 50 conditions" in errors[0]["message"]


async def test_values_never_reach_sql_text(client: httpx.AsyncClient) -> None:
    hostile = "x'); DROP TABLE contacts; --"
    for expr in (
        {"field": "email", "op": "contains", "value": hostile},
        {"field": "custom_fields.k", "op": "eq", "value": hostile},
        {"field": "tags", "op": "has", "value": hostile},
    ):
        response = await client.post("/v1/contacts/search", json={"filter": expr})
        assert response.status_code == 200, response.text
    response = await client.post(
        "/v1/contacts/search",
        json={"filter": {"field": "custom_fields.k'--", "op": "exists"}},
    )
    assert response.status_code == 422
