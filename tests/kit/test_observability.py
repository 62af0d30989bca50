"""Access log (one JSON line per request, no personal data) and /metrics."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from roster.kit.logs import JsonFormatter
from tests.conftest import Env
from tests.helpers.apps import app_with, client_for


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The access records as the server writes them (one JSON object per line)."""
    line = JsonFormatter()
    return [json.loads(line.format(r)) for r in caplog.records if r.name == "roster.access"]


async def test_one_json_line_per_request(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    tenant_id, key = await env.tenant()
    email = f"secret.person.{uuid.uuid4().hex[:6]}@example.com"
    caplog.set_level(logging.INFO, logger="roster.access")
    async with env.client(key) as http:
        made = await http.post(
            "/v1/contacts", json={"email": email, "phone": "+14155550123", "name": "Private Name"}
        )
        assert made.status_code == 201
        contact_id = made.json()["id"]
        got = await http.get(f"/v1/contacts/{contact_id}", headers={"X-Request-Id": "req-42"})
        await http.get("/v1/contacts/lookup", params={"email": email})
        await http.get("/no/such/route")
    async with env.client() as anon:
        await anon.get("/v1/contacts")
    lines = _access_lines(caplog)
    assert len(lines) == 5
    for line in lines:
        assert set(line) == {
            *("ts", "level", "logger", "message"),
            *("method", "route", "status", "duration_ms", "tenant", "request_id"),
        }
        assert line["logger"] == "roster.access" and line["level"] == "INFO"
        assert str(line["ts"]).endswith("Z")
        assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0
    create, get, lookup, missing, anonymous = lines
    assert create == {**create, "method": "POST", "route": "/v1/contacts", "status": 201}
    assert create["tenant"] == str(tenant_id)
    assert get["route"] == "/v1/contacts/{contact_id}" and get["request_id"] == "req-42"
    assert get["request_id"] == got.headers["x-request-id"]
    assert lookup["route"] == "/v1/contacts/lookup"
    assert missing["route"] == "unmatched" and missing["status"] == 404
    assert anonymous["status"] == 401 and anonymous["tenant"] is None
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "roster.access")
    for private in (email, "4155550123", "Private Name", contact_id, key):
        assert private not in text


async def test_metrics(env: Env) -> None:
    _, key = await env.tenant()
    async with app_with(env) as app:
        async with client_for(app, key) as http:
            for _ in range(3):
                assert (await http.get("/v1/contacts")).status_code == 200
            await http.get(f"/v1/contacts/{uuid.uuid4()}")
        async with client_for(app) as anon:
            r = await anon.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        text = r.text
        assert (
            'roster_http_requests_total{method="GET",route="/v1/contacts",status="200"} 3.0' in text
        )
        assert (
            'roster_http_requests_total{method="GET",route="/v1/contacts/{contact_id}",'
            'status="404"} 1.0' in text
        )
        assert (
            'roster_http_request_duration_seconds_count{method="GET",route="/v1/contacts",'
            'status="200"} 3.0' in text
        )
        assert "roster_http_request_duration_seconds_bucket{" in text
        in_use = [
            ln for ln in text.splitlines() if ln.startswith("roster_db_pool_connections_in_use ")
        ]
        assert in_use == ["roster_db_pool_connections_in_use 0.0"]
        assert "roster_db_pool_connections_idle " in text
        # The process itself: CPU, memory, open files, start time.
        for name in (
            "process_cpu_seconds_total ",
            "process_resident_memory_bytes ",
            "process_open_fds ",
            "process_start_time_seconds ",
            "python_info{",
        ):
            assert name in text, name
        # The documentation routes are named, not "unmatched".
        async with client_for(app) as anon:
            assert (await anon.get("/openapi.json")).status_code == 200
            assert (await anon.get("/docs")).status_code == 200
            text = (await anon.get("/metrics")).text
        for route in ("/openapi.json", "/docs"):
            assert f'route="{route}",status="200"' in text, route


async def test_metrics_token(env: Env) -> None:
    async with app_with(env, metrics_token="m-token-123") as app:
        async with client_for(app) as anon:
            r = await anon.get("/metrics")
            assert r.status_code == 401
            assert r.headers["content-type"] == "application/problem+json"
            assert (
                await anon.get("/metrics", headers={"Authorization": "Bearer nope"})
            ).status_code == 401
        async with client_for(app, "m-token-123") as scraper:
            r = await scraper.get("/metrics")
            assert r.status_code == 200 and "roster_http_requests_total" in r.text


async def test_metrics_report_the_job_queue_and_webhook_backlog(env: Env) -> None:
    _, key = await env.tenant()

    def gauge(text: str, name: str) -> float:
        values = [ln.rsplit(" ", 1)[1] for ln in text.splitlines() if ln.startswith(name + " ")]
        return float(values[0]) if values else 0.0

    queued = 'roster_jobs{kind="import",status="queued"}'
    # No worker in this process: the import stays queued, as behind a busy or absent worker.
    async with app_with(env, embedded_worker=False) as app:
        async with client_for(app) as anon:
            before = (await anon.get("/metrics")).text
        async with client_for(app, key) as http:
            upload = {"file": ("people.csv", "phone,name\n+14155550199,Queued\n", "text/csv")}
            assert (await http.post("/v1/imports", files=upload)).status_code == 202
        async with client_for(app) as anon:
            after = (await anon.get("/metrics")).text
    # The database is shared with other tests: compare with the scrape before.
    assert gauge(after, queued) == gauge(before, queued) + 1
    assert "roster_webhook_deliveries_pending " in after
