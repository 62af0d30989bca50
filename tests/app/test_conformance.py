"""Contract conformance: the OpenAPI document describes the server exactly (issue 23).

schemathesis generates requests from the app's own /openapi.json for every operation (its
examples, coverage and fuzzing phases: valid and invalid data, undeclared methods and media
types, missing headers), sends them through the ASGI app and runs every check it has on each
response, on both engines; then short scenarios follow the links it infers between
operations, for the checks that need a history. The path parameters are real objects made
first (a webhook on a local receiver included), so operations reach their logic, not a 404.

The async database engines belong to the test's event loop, while schemathesis is
synchronous and runs an ASGI app on a loop of its own (its in-process client, which the
``ignored_auth`` probes use too). So the cases are made first (hypothesis, synchronously),
then sent from a worker thread; ``OnLoop`` is the app schemathesis is given, and it serves
each request with the real app on the test's loop. (The scenarios are made as they run,
from the answers, in the same worker thread.)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, MutableMapping
from typing import Any

import hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.generation.overrides import with_config_headers
from schemathesis.specs.openapi import checks as schemathesis_checks
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.kit.db import transaction
from roster.tenants import service as tenants
from tests.conftest import Env, make_contact
from tests.webhooks.conftest import relay_for
from tests.webhooks.receiver import Receiver

EXAMPLES = 4  # fuzzing examples per operation and generation mode; coverage adds its own
SCENARIOS = 20  # stateful scenarios (each up to 6 linked requests)
FIRST_STATEFUL = 1_000_000  # their Idempotency-Keys are numbered from here
# The dialects answer in other platforms' bodies and statuses (a duplicate is yebolink's
# 400, no error body names its status): each is held to its reference document by its own
# replay tests (tests/compat), not to Roster's contract.
DIALECTS = "^/compat/"

# The document names rules about meaning that no pattern states with a `format`
# (docs/errors.md); schemathesis is taught to make valid values of each, so that valid
# data reaches the routes' success paths. Invalid values of these formats are not made.
_PHONES = ["+14155552671", "+1 (415) 555-2671", "+44 20 7946 0958", "+33 1 42 68 53 00"]
_USERNAMES = ["@bob_1", "alice.b", "Carol"]
FORMATS = {
    "phone": st.sampled_from(_PHONES),
    "email": st.builds(
        "{}@{}".format,
        st.from_regex(r"[a-z][a-z0-9]{0,8}(\.[a-z0-9]{1,8})?", fullmatch=True),
        st.sampled_from(["example.com", "acme.io", "Mail.Example.org"]),
    ),
    "iso3166-alpha2": st.sampled_from(["US", "gb", " DE ", "br"]),
    "bcp47": st.sampled_from(["en", "pt-BR", "zh-Hant-TW", "es_419"]),
    "http-url": st.sampled_from(["https://example.com/a.png", "http://cdn.acme.io/x?y=1"]),
    "handle": st.one_of(
        st.sampled_from(["whatsapp", "viber", "RCS"]).flatmap(
            lambda channel: st.sampled_from([f"{channel}:{phone}" for phone in _PHONES])
        ),
        st.sampled_from(["telegram", "instagram", "messenger"]).flatmap(
            lambda channel: st.sampled_from([f"{channel}:{name}" for name in _USERNAMES])
        ),
    ),
}
for _name, _strategy in FORMATS.items():
    schemathesis.openapi.format(_name, _strategy)


class OnLoop:
    """The app as schemathesis calls it (from its own thread and loop): each request is
    served by ``app`` on ``loop``, the test's, with the body it sent and the messages the
    app answered carried across whole."""

    def __init__(self, app: ASGIApp, loop: asyncio.AbstractEventLoop) -> None:
        self.app, self.loop = app, loop
        self.crashes: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            # The env fixture runs the real app's lifespan; this one only acknowledges.
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        answer: list[Message] = []
        served = asyncio.run_coroutine_threadsafe(self._serve(scope, body, answer), self.loop)
        await asyncio.wrap_future(served)
        for message in answer:
            await send(message)

    async def _serve(self, scope: Scope, body: bytes, answer: list[Message]) -> None:
        finished = asyncio.Event()
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            answer.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                finished.set()

        try:
            await self.app(dict(scope), receive, send)
        except Exception as exc:  # a crash is a failure of its own; the client sees a 500
            self.crashes.append(f"{scope['method']} {scope['path']}: {exc!r}")
            if not answer:
                answer.append({"type": "http.response.start", "status": 500, "headers": []})
                answer.append({"type": "http.response.body", "body": b""})
        finally:
            finished.set()


# Refusals of data the document allows that no document can prevent: a rule about state
# (what exists now, the clock) or about what a value means. positive_data_acceptance lets
# a refusal pass only when every problem it names is one of these, and the status fits.
# (status, field, message): regular expressions; the field is "" for a detail-only 400.
UNSTATABLE = [
    # A cursor is a token the server signs and binds to its listing and sort.
    (400, "", r"cursor (is not valid|was made for another listing or sort order)"),
    # An event id must name an event that exists (and is within the retention).
    (400, "", r"after: no such event .*"),
    # An expiry is compared with the clock.
    (422, "expires_at", r"must be in the future"),
    # A definition's options depend on its stored type.
    (422, "options", r"only enum fields have options"),
    # `match_on` in the query names an identifier the body must carry.
    (422, "phone|email|external_id", r"required to match on .*"),
    # The path's contact cannot be among its own duplicates.
    (422, "duplicate_ids", r"a contact cannot be merged into itself"),
    # A filter's fields are the catalogue's and the tenant's field definitions; its op and
    # value must fit the field. (The expression's structure is in the document.)
    (
        422,
        r"filter(\.|\[).*|filter",
        r"(?!give exactly one of|a condition needs both|value belongs to).*",
    ),
    # An import's file is a CSV whose header names the columns that mapping and match_on
    # refer to.
    (422, r"file|mapping(\..*)?|match_on", r".*"),
]


def _unstatable(response: Any) -> bool:
    try:
        problem = response.json()
    except ValueError:
        return False
    errors = problem.get("errors") or [{"field": "", "message": problem.get("detail") or ""}]
    return all(
        any(
            response.status_code == status
            and re.fullmatch(field, error.get("field", ""))
            and re.fullmatch(message, error.get("message", ""))
            for status, field, message in UNSTATABLE
        )
        for error in errors
    )


def positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's check, but for the refusals listed in UNSTATABLE."""
    try:
        return schemathesis_checks.positive_data_acceptance(ctx, response, case)
    except Failure:
        if _unstatable(response):
            return None
        raise


def problem_status(ctx: Any, response: Any, case: Any) -> bool | None:
    """Roster's own rule (docs/errors.md): an error's problem names the HTTP status."""
    if response.status_code >= 400:
        status = response.json().get("status")
        assert status == response.status_code, f"the problem says status {status}"
    return None


# Every check schemathesis has (object_level_authorization does nothing here: it needs
# several identities in a WFC auth file; tenant isolation is tests/kit/test_tenant_scoping.py).
CHECK_NAMES = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
}


def _all_checks() -> list[Callable[..., Any]]:
    load_all_checks()
    checks = [c for c in CHECKS.get_all() if callable(c) and not isinstance(c, type)]
    # A check a new schemathesis adds is to be looked at here, not run unseen.
    assert {c.__name__ for c in checks} == CHECK_NAMES
    return [
        positive_data_acceptance if c is schemathesis_checks.positive_data_acceptance else c
        for c in checks
    ] + [problem_status]


def _config(fixed: dict[str, str], auth: dict[str, str]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 23,
            # As `st run -H`: the credential is the client's, not generated (nor negated).
            "headers": auth,
            "checks": {
                # A stale If-Match is refused (412) like a taken identifier (409): the
                # answer depends on the object's state, which no schema describes.
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 412, 429, "5xx"]
                },
                # The If-Match check comes before the body's field rules, so invalid data
                # may be refused as a stale precondition: refused all the same.
                "negative_data_rejection": {
                    "expected-statuses": [
                        *(400, 401, 403, 404, 405, 406, 409, 412, 415, 422, 428, 429),
                        "5xx",
                    ]
                },
            },
            "generation": {
                "max-examples": EXAMPLES,
                "deterministic": True,
                "no-shrink": True,
                "database": "none",
            },
            "parameters": fixed,
            # Strings from the document's prose ("field", "3xx") would stand in for values
            # of the formats above, which they are not.
            "analysis": {"constants": {"enabled": False}},
        }
    )


def _generate(schema: Any) -> list[Any]:
    """Every case of the examples, coverage and fuzzing phases, made before any is sent."""
    cases: list[Any] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        settings = schema.config.get_hypothesis_settings(
            operation=operation, phase="fuzzing", apply_ci_profile=False
        )
        settings = hypothesis.settings(settings, suppress_health_check=list(hypothesis.HealthCheck))

        def collect(case: Any) -> None:
            cases.append(case)

        test = create_test(
            operation=operation,
            test_func=collect,
            config=HypothesisTestConfig(
                project=schema.config,
                modes=list(HypothesisTestMode),
                settings=settings,
                apply_ci_profile=False,
                override=with_config_headers(schema.config, operation=operation),
            ),
        )
        test()
    # Deleting the fixed objects last lets every other operation reach them.
    return sorted(_one_per_mutation(cases), key=lambda case: case.method.upper() == "DELETE")


def _one_per_mutation(cases: list[Any]) -> list[Any]:
    """The coverage phase makes a case for each value of each mutation, down every level of
    a nested schema (each wrong type of each part of a filter in a filter in a filter).
    One case per kind of mutation of each parameter or top-level body field keeps every
    rule of the document tested and the run short. The other phases' cases are kept."""
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for case in cases:
        data = case.meta.phase.data
        if case.meta.phase.name.value == "coverage":
            where = (getattr(data, "description", None) or "").split(" -> ")[0].split(":")[0]
            key = (
                case.operation.label,
                case.method,
                case.meta.generation.mode,
                getattr(data, "scenario", None),
                getattr(data, "parameter", None),
                where,
            )
            if key in seen:
                continue
            seen.add(key)
        kept.append(case)
    return kept


def _unique_idempotency_key(case: Any, number: int) -> None:
    """A generated Idempotency-Key is short ("0") and so reused across different requests,
    which the contract answers with 422 idempotency_key_mismatch. A key promises one
    request, so each case that sends a well-formed one gets a key of its own."""
    headers = case.headers
    key = headers.get("Idempotency-Key") if isinstance(headers, MutableMapping) else None
    if isinstance(key, str) and 1 <= len(key) <= 255 and key.isascii() and key.isprintable():
        headers["Idempotency-Key"] = f"conformance-{number}"


def _run(
    cases: list[Any], app: OnLoop, auth: dict[str, str], swap: dict[str, str]
) -> tuple[list[str], Counter[int]]:
    checks = _all_checks()
    # As schemathesis's own runner: once an operation has refused the probes without and
    # with a wrong credential, ignored_auth does not probe it again.
    without_probes = [c for c in checks if c is not schemathesis_checks.ignored_auth]
    enforced: set[str] = set()
    failures: dict[tuple[str, ...], str] = {}
    statuses: Counter[int] = Counter()
    for number, case in enumerate(cases):
        case.path_parameters = {k: swap.get(v, v) for k, v in case.path_parameters.items()}
        if "Authorization" in case.headers:
            case.headers["Authorization"] = auth["Authorization"]
        _unique_idempotency_key(case, number)
        response = case.call(app=app)
        statuses[response.status_code] += 1
        label = case.operation.label
        try:
            case.validate_response(
                response,
                checks=without_probes if label in enforced else checks,
                headers=auth,
                transport_kwargs={"headers": auth, "app": app},
            )
        except FailureGroup as group:
            for failure in group.exceptions:
                _record(failures, case, response, failure)
        except Failure as failure:
            _record(failures, case, response, failure)
        else:
            if 200 <= response.status_code < 300:
                enforced.add(label)
    return list(failures.values()), statuses


def _stateful(schema: Any, app: OnLoop, auth: dict[str, str]) -> tuple[list[str], int]:
    """Scenarios that follow the links schemathesis infers between operations (a POST's id
    into the GET, PATCH and DELETE of the same path), for the checks that need a recorded
    history: use_after_free (a deleted object is gone) and ensure_resource_availability
    (a created one is there)."""
    checks = _all_checks()
    failures: dict[tuple[str, ...], str] = {}

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            _unique_idempotency_key(case, next(numbers))
            return {"app": app, "headers": auth}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            try:
                case.validate_response(
                    response,
                    checks=checks,
                    headers=auth,
                    transport_kwargs=kwargs,
                    recorder=self.recorder,
                )
            except FailureGroup as group:
                for failure in group.exceptions:
                    _record(failures, case, response, failure)

    numbers = itertools.count(FIRST_STATEFUL)
    settings = hypothesis.settings(
        max_examples=SCENARIOS,
        stateful_step_count=6,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    # The server's answers decide which links can be followed, so hypothesis may meet a
    # choice it made before with other options open (Flaky); as in schemathesis's own
    # runner, that ends the scenarios, and the failures found so far are kept.
    with contextlib.suppress(hypothesis.errors.Flaky):
        Scenarios.run(settings=settings)
    return list(failures.values()), next(numbers) - FIRST_STATEFUL


def _record(failures: dict[tuple[str, ...], str], case: Any, response: Any, failure: Any) -> None:
    key = (case.operation.label, failure.title, str(response.status_code), response.text[:120])
    if key not in failures:
        body = response.text[:300] if response.text else ""
        failures[key] = (
            f"{case.method} {case.formatted_path} -> {response.status_code} {body}\n"
            f"  {failure.title}: {failure.message[:400]}\n"
            f"  {case.as_curl_command(headers=dict(response.request.headers))[:600]}"
        )


@pytest.fixture
async def receiver() -> Any:
    r = await Receiver().start()
    yield r
    await r.stop()


async def _objects(env: Env, receiver: Receiver) -> tuple[str, dict[str, str]]:
    """An admin key (with room for every request) and one real object of each kind."""
    tenant_id, _ = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        key = (
            await tenants.create_api_key(
                conn, tenant_id, name="conformance", scopes=["admin"], rate_limit="100000/minute"
            )
        ).key
    env.settings.webhooks_allow_private = True
    try:
        async with env.client(key) as http:

            async def made(path: str, **kwargs: Any) -> dict[str, Any]:
                r = await http.post(path, **kwargs)
                assert r.status_code in (200, 201, 202), r.text
                body: dict[str, Any] = r.json()
                return body

            # The webhook first, so the changes below give it a delivery.
            hook = await made("/v1/webhooks", json={"url": receiver.url("/hook"), "events": ["*"]})
            contact = await make_contact(http, tags=["fuzz"], custom_fields={"plan": "pro"})
            cid = contact["id"]
            spare = await made("/v1/api-keys", json={"name": "spare", "scopes": ["admin"]})
            lst = await made("/v1/lists", json={"name": "fuzz"})
            await made(f"/v1/lists/{lst['id']}/members", json={"contact_ids": [cid]})
            seg = await made(
                "/v1/segments",
                json={"name": "fuzz", "filter": {"field": "tags", "op": "has", "value": "fuzz"}},
            )
            note = await made(f"/v1/contacts/{cid}/notes", json={"body": "hello"})
            await made("/v1/fields", json={"key": "plan", "label": "Plan", "type": "text"})
            async with relay_for(env) as relay:
                await receiver.wait_for(1, relay)
                await relay.drain()
            r = await http.get(f"/v1/webhooks/{hook['id']}/deliveries")
            delivery = r.json()["data"][0]
            imported = await made(
                "/v1/imports",
                files={"file": ("c.csv", b"email\nimported@example.com\n", "text/csv")},
            )
            job = await made(
                "/v1/contacts/bulk-actions",
                json={
                    "filter": {"field": "tags", "op": "has", "value": "nobody"},
                    "action": "add_tags",
                    "params": {"tags": ["x"]},
                },
            )
    finally:
        env.settings.webhooks_allow_private = False
    return key, {
        "contact_id": cid,
        "key_id": spare["id"],
        "list_id": lst["id"],
        "segment_id": seg["id"],
        "note_id": note["id"],
        "key": "plan",
        "tag": "fuzz",
        "webhook_id": hook["id"],
        "delivery_id": delivery["id"],
        "import_id": imported["id"],
        "job_id": job["id"],
        "code": "not_found",
    }


# Cases depend on the document alone, which both engines serve alike: the second engine
# reuses the first's, with its own credential and object ids put in.
_MADE: dict[str, tuple[list[Any], dict[str, str]]] = {}


async def test_openapi_document_describes_the_server(env: Env, receiver: Receiver) -> None:
    started = time.monotonic()
    key, fixed = await _objects(env, receiver)
    auth = {"Authorization": f"Bearer {key}"}
    app = OnLoop(env.app, asyncio.get_running_loop())
    async with env.client() as http:
        document = (await http.get("/openapi.json")).text
    if document not in _MADE:
        schema = await asyncio.to_thread(
            schemathesis.openapi.from_asgi, "/openapi.json", app, config=_config(fixed, auth)
        )
        schema = schema.exclude(path_regex=DIALECTS)
        _MADE[document] = (_generate(schema), fixed)
    cases, made_for = _MADE[document]
    swap = {made_for[name]: value for name, value in fixed.items()}
    generated = time.monotonic()
    env.settings.webhooks_allow_private = True  # the webhook points at the local receiver
    try:
        failures, statuses = await asyncio.to_thread(_run, cases, app, auth, swap)
        sent = time.monotonic()
        # Linked scenarios make objects of their own, so no ids are fixed for them.
        linked = await asyncio.to_thread(
            schemathesis.openapi.from_asgi, "/openapi.json", app, config=_config({}, auth)
        )
        linked = linked.exclude(path_regex=DIALECTS)
        found, steps = await asyncio.to_thread(_stateful, linked, app, auth)
        failures += found
    finally:
        env.settings.webhooks_allow_private = False
    print(
        f"conformance[{env.name}]: {len(cases)} cases, made in {generated - started:.1f}s, "
        f"sent and checked in {sent - generated:.1f}s, {steps} scenario requests in "
        f"{time.monotonic() - sent:.1f}s; "
        f"statuses {sorted(statuses.items())}; {len(failures)} failures"
    )
    assert not app.crashes, "\n".join(app.crashes[:20])
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:60])
