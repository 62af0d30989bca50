"""The consent rule as a state machine: no create, upsert, batch, import, PATCH, archive,
erase or merge turns ``opted_out`` into ``opted_in`` or lifts a suppression; only
PUT .../preferences with a source does. Random sequences of operations run against the
real app (both engines) and an in-memory model of what every live contact's consent must be.

Hypothesis drives synchronous rules from a worker thread; each rule submits its HTTP calls
to the test's event loop, which is free while the test awaits the thread.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.helpers.jobs import wait_job

CHANNELS = ("sms", "whatsapp", "email")  # a subset keeps examples small; all share one rule
STATES = ("opted_in", "opted_out", "unknown")
PHONES = ("+14155550111", "+14155550122", "+14155550133")
FORMATTED = {"+14155550111": "(415) 555-0111", "+14155550122": "415.555.0122"}

prefs = st.dictionaries(st.sampled_from(CHANNELS), st.sampled_from(STATES), max_size=3)
phones = st.sampled_from(PHONES)


def guarded(current: dict[str, str], patch: dict[str, str]) -> dict[str, str]:
    """The model of a contact write: opted_out stays opted_out."""
    new = {**current, **patch}
    return {ch: "opted_out" if current[ch] == "opted_out" else new[ch] for ch in new}


class ConsentMachine(RuleBasedStateMachine):
    env: Any = None
    loop: asyncio.AbstractEventLoop | None = None

    def __init__(self) -> None:
        super().__init__()
        _, key = self.run(self.env.tenant())
        self.http = self.env.client(key)
        # phone → {"id", "prefs", "suppressed"} for live contacts
        self.live: dict[str, dict[str, Any]] = {}
        # phone → channels an erased contact with that phone had opted out of
        self.erased: dict[str, set[str]] = {}

    def run(self, coro: Any) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def call(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.run(self.http.request(method, url, **kwargs))

    def _new_prefs(self, phone: str, given: dict[str, str]) -> dict[str, str]:
        base = {ch: "unknown" for ch in CHANNELS}
        new = {**base, **given}
        for ch in self.erased.get(phone, ()):
            if ch in new:
                new[ch] = "opted_out"
        return new

    def _phone_text(self, phone: str, formatted: bool) -> str:
        return FORMATTED.get(phone, phone) if formatted else phone

    @rule(phone=phones, given=prefs, suppressed=st.booleans(), formatted=st.booleans())
    def create(self, phone: str, given: dict[str, str], suppressed: bool, formatted: bool) -> None:
        body = {"phone": self._phone_text(phone, formatted), "preferences": given}
        if suppressed:
            body |= {"suppressed": True, "suppressed_reason": "complained"}
        response = self.call("POST", "/v1/contacts", json=body)
        if phone in self.live:
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 201, response.text
        self.live[phone] = {
            "id": response.json()["id"],
            "prefs": self._new_prefs(phone, given),
            "suppressed": suppressed,
        }

    @rule(phone=phones, given=prefs, suppressed=st.booleans(), formatted=st.booleans())
    def upsert(self, phone: str, given: dict[str, str], suppressed: bool, formatted: bool) -> None:
        body = {
            "phone": self._phone_text(phone, formatted),
            "preferences": given,
            "suppressed": suppressed,
        }
        response = self.call("POST", "/v1/contacts/upsert", json=body)
        if phone in self.live:
            assert response.status_code == 200, response.text
            model = self.live[phone]
            model["prefs"] = guarded(model["prefs"], given)
            model["suppressed"] = model["suppressed"] or suppressed
        else:
            assert response.status_code == 201, response.text
            self.live[phone] = {
                "id": response.json()["id"],
                "prefs": self._new_prefs(phone, given),
                "suppressed": suppressed,
            }

    def _bulk_upserted(self, phone: str, given: dict[str, str], suppressed: bool) -> None:
        """The model of a batch or import row for ``phone`` that was written."""
        if phone in self.live:
            model = self.live[phone]
            model["prefs"] = guarded(model["prefs"], given)
            model["suppressed"] = model["suppressed"] or suppressed
            return
        found = self.call("GET", "/v1/contacts/lookup", params={"phone": phone})
        assert found.status_code == 200, found.text
        self.live[phone] = {
            "id": found.json()["id"],
            "prefs": self._new_prefs(phone, given),
            "suppressed": suppressed,
        }

    @rule(phone=phones, given=prefs, suppressed=st.booleans(), formatted=st.booleans())
    def batch(self, phone: str, given: dict[str, str], suppressed: bool, formatted: bool) -> None:
        item = {
            "phone": self._phone_text(phone, formatted),
            "preferences": given,
            "suppressed": suppressed,
        }
        body = {"mode": "upsert", "match_on": "phone", "contacts": [item]}
        response = self.call("POST", "/v1/contacts/batch", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["failed"] == 0, response.text
        self._bulk_upserted(phone, given, suppressed)

    @rule(phone=phones, given=prefs, suppressed=st.booleans(), formatted=st.booleans())
    def import_row(
        self, phone: str, given: dict[str, str], suppressed: bool, formatted: bool
    ) -> None:
        channels = sorted(given)
        header = ["phone", *(f"preferences.{ch}" for ch in channels), "suppressed"]
        cells = [self._phone_text(phone, formatted), *(given[ch] for ch in channels)]
        cells.append("true" if suppressed else "false")
        text = ",".join(header) + "\n" + ",".join(f'"{c}"' for c in cells) + "\n"
        files = {"file": ("one.csv", text.encode(), "text/csv")}
        started = self.call("POST", "/v1/imports", files=files, data={"match_on": "phone"})
        assert started.status_code == 202, started.text
        job = self.run(wait_job(self.env, self.http, f"/v1/imports/{started.json()['id']}"))
        assert (job["status"], job["failed"]) == ("completed", 0), job
        self._bulk_upserted(phone, given, suppressed)

    @precondition(lambda self: self.live)
    @rule(data=st.data(), given=prefs, suppressed=st.none() | st.booleans())
    def patch(self, data: st.DataObject, given: dict[str, str], suppressed: bool | None) -> None:
        phone = data.draw(st.sampled_from(sorted(self.live)))
        body: dict[str, Any] = {"preferences": given}
        if suppressed is not None:
            body["suppressed"] = suppressed
        model = self.live[phone]
        response = self.call("PATCH", f"/v1/contacts/{model['id']}", json=body)
        assert response.status_code == 200, response.text
        model["prefs"] = guarded(model["prefs"], given)
        model["suppressed"] = model["suppressed"] or bool(suppressed)

    @precondition(lambda self: self.live)
    @rule(data=st.data(), given=prefs, suppressed=st.none() | st.booleans())
    def put_preferences(
        self, data: st.DataObject, given: dict[str, str], suppressed: bool | None
    ) -> None:
        phone = data.draw(st.sampled_from(sorted(self.live)))
        model = self.live[phone]
        body: dict[str, Any] = {"preferences": given, "source": "test:explicit"}
        if suppressed is not None:
            body["suppressed"] = suppressed
        response = self.call("PUT", f"/v1/contacts/{model['id']}/preferences", json=body)
        assert response.status_code == 200, response.text
        model["prefs"] = {**model["prefs"], **given}
        if suppressed is not None:
            model["suppressed"] = suppressed

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def archive(self, data: st.DataObject) -> None:
        phone = data.draw(st.sampled_from(sorted(self.live)))
        response = self.call("DELETE", f"/v1/contacts/{self.live.pop(phone)['id']}")
        assert response.status_code == 204, response.text

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def erase(self, data: st.DataObject) -> None:
        phone = data.draw(st.sampled_from(sorted(self.live)))
        model = self.live.pop(phone)
        response = self.call("DELETE", f"/v1/contacts/{model['id']}?erase=true")
        assert response.status_code == 204, response.text
        # Contacts merged into it are the same person and are erased with it.
        pending = [(phone, model)]
        while pending:
            number, erased = pending.pop()
            pending += erased.get("merged", [])
            channels = {ch for ch, state in erased["prefs"].items() if state == "opted_out"}
            out = set(CHANNELS) if erased["suppressed"] else channels
            self.erased.setdefault(number, set()).update(out)

    @precondition(lambda self: len(self.live) >= 2)
    @rule(data=st.data(), dry_run=st.booleans())
    def merge(self, data: st.DataObject, dry_run: bool) -> None:
        survivor, duplicate = data.draw(st.permutations(sorted(self.live)))[:2]
        kept, gone = self.live[survivor], self.live[duplicate]
        response = self.call(
            "POST",
            f"/v1/contacts/{kept['id']}/merge",
            json={"duplicate_ids": [gone["id"]], "dry_run": dry_run},
        )
        assert response.status_code == 200, response.text
        rank = {"opted_out": 2, "unknown": 1, "opted_in": 0}
        merged = {ch: max(kept["prefs"][ch], gone["prefs"][ch], key=rank.get) for ch in CHANNELS}
        assert {ch: response.json()["preferences"][ch] for ch in CHANNELS} == merged
        if not dry_run:
            kept["prefs"] = merged
            kept["suppressed"] = kept["suppressed"] or gone["suppressed"]
            kept.setdefault("merged", []).append((duplicate, self.live.pop(duplicate)))

    @invariant()
    def live_contacts_match_the_model(self) -> None:
        for phone, model in self.live.items():
            got = self.call("GET", f"/v1/contacts/{model['id']}").json()
            assert got["phone"] == phone
            assert {ch: got["preferences"][ch] for ch in CHANNELS} == model["prefs"], phone
            assert got["suppressed"] is model["suppressed"]

    @invariant()
    def history_replays_to_the_current_state(self) -> None:
        for model in self.live.values():
            events = self.call("GET", f"/v1/contacts/{model['id']}/consent?limit=100").json()
            state = {ch: "unknown" for ch in CHANNELS} | {"suppression": "not_suppressed"}
            for event in reversed(events["data"]):
                if event["channel"] in state:
                    assert state[event["channel"]] == event["from"], event
                    state[event["channel"]] = event["to"]
            assert {ch: state[ch] for ch in CHANNELS} == model["prefs"]
            expected = "suppressed" if model["suppressed"] else "not_suppressed"
            assert state["suppression"] == expected

    def teardown(self) -> None:
        self.run(self.http.aclose())


async def test_consent_rule_holds_over_random_operations(env):
    ConsentMachine.env = env
    ConsentMachine.loop = asyncio.get_running_loop()
    run = settings(
        # Bounded for the suite; ROSTER_MACHINE_EXAMPLES=200 explores further.
        max_examples=int(os.environ.get("ROSTER_MACHINE_EXAMPLES", "12")),
        stateful_step_count=10,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    await asyncio.to_thread(run_state_machine_as_test, ConsentMachine, settings=run)
