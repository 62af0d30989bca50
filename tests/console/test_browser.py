"""The console in a real browser: headless Chromium (Debian's) driven by Playwright,
against a real ``roster serve`` on embedded SQLite. One server and one browser for the
module; a screenshot of each main page lands in test-artifacts/console/ (gitignored).

Without the browser or the Playwright package the module is skipped with the reason;
under CI=true that fails the run instead (``.ci/run`` installs Debian's chromium)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.test_serve import free_port, start_serve, stop

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "console"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make test installs it)"
    return None


if (reason := _missing()) is not None:
    if IN_CI:
        raise RuntimeError(f"browser tests need a browser under CI=true: {reason}")
    pytest.skip(f"browser tests skipped: {reason}", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

# How long a page may take to show what is awaited (a deadline for a slow, shared machine,
# never a measure of speed: a passing wait returns as soon as the page shows it).
expect.set_options(timeout=60_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``roster serve`` on a new database: its base URL, the admin key it printed, and a
    read-only key made through the API."""
    data_dir = tmp_path_factory.mktemp("console-browser")
    port = free_port()
    proc, lines = start_serve(data_dir, port)
    try:
        output = "\n".join(lines)
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/console" in output, output
        key = re.findall(r"rk_live_[A-Za-z0-9]{32}", output)[0]
        created = httpx.post(
            f"{base}/v1/api-keys",
            headers={"Authorization": f"Bearer {key}"},
            json={"name": "reader", "scopes": ["contacts:read"]},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        yield {"base": base, "key": key, "reader": created.json()["key"]}
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose console errors fail the test: a
    Content-Security-Policy violation shows there first."""
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(60_000)
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    yield opened
    context.close()
    assert not [e for e in errors if "Failed to load resource" not in e], errors


def _sign_in(page: Page, base: str, key: str) -> None:
    page.goto(f"{base}/console")
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    expect(page).to_have_title("Sign in · Roster console")
    page.screenshot(path=ARTIFACTS / "sign-in.png", full_page=True)
    page.get_by_label("API key or token").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/console/contacts$"))


def test_sign_in_create_edit_search_and_opt_out(page: Page, server: dict[str, Any]):
    base = server["base"]
    _sign_in(page, base, server["key"])
    expect(page.get_by_role("heading", name="No contacts yet")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "contacts-empty.png", full_page=True)

    # Create: a bad phone is reported beside the field, as typed; a good one is saved
    # in international form.
    page.get_by_role("link", name="New contact").first.click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Phone").fill("12")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#e-phone")).to_be_visible()
    expect(page.get_by_label("Phone")).to_have_value("12")
    page.screenshot(path=ARTIFACTS / "contact-form-errors.png", full_page=True)
    page.get_by_label("Phone").fill("(415) 555-0199")
    page.get_by_label("Tags (comma-separated)").fill("vip")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("+14155550199")).to_be_visible()

    # Edit.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Company").fill("Analytical Engines")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Analytical Engines")).to_be_visible()

    # A tag added inline (htmx swaps the tags block; the page is not reloaded).
    page.get_by_label("Add tags").fill("mathematician")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#tags .tag", has_text="mathematician")).to_be_visible()

    # Opt out of SMS with the evidence, and see the history.
    page.locator("#c-channel").select_option("sms")
    page.get_by_label("New state").select_option("opted_out")
    page.get_by_label("Source (the evidence)").fill("phone call")
    page.get_by_label("Note", exact=True).fill("asked not to be texted")
    page.get_by_role("button", name="Save consent").click()
    history = page.locator("table.history")
    expect(history).to_contain_text("phone call")
    expect(history).to_contain_text("asked not to be texted")
    expect(history).to_contain_text("opted out")
    page.screenshot(path=ARTIFACTS / "contact.png", full_page=True)

    # Search as you type (htmx replaces the results and the address).
    page.get_by_role("link", name="Contacts", exact=True).click()
    api = {"Authorization": f"Bearer {server['key']}"}
    httpx.post(
        f"{base}/v1/contacts",
        headers=api,
        json={"first_name": "Grace", "email": "grace@example.com"},
        timeout=10,
    )
    page.reload()
    page.get_by_label("Search").fill("lovelace")
    expect(page).to_have_url(re.compile(r"q=lovelace"))
    results = page.locator("#results")
    expect(results).to_contain_text("Ada Lovelace")
    expect(results).not_to_contain_text("Grace")
    page.screenshot(path=ARTIFACTS / "contacts-search.png", full_page=True)
    page.get_by_label("Search").fill("")
    page.get_by_label("Opted out of").select_option("sms")
    expect(page).to_have_url(re.compile(r"opted_out=sms"))
    expect(results).to_contain_text("Ada Lovelace")
    expect(results).not_to_contain_text("Grace")

    # Sign out: the console asks to sign in again.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.goto(f"{base}/console/contacts")
    expect(page).to_have_url(re.compile(r"/console/sign-in"))


def test_import_a_csv_and_watch_it_reach_100_percent(page: Page, server: dict[str, Any]):
    base = server["base"]
    _sign_in(page, base, server["key"])
    page.get_by_role("link", name="Imports").click()
    page.get_by_role("link", name="Import a CSV").first.click()
    rows = "".join(f"Person{n},+1415556{n:04d},p{n}@example.com\n" for n in range(300))
    page.get_by_label("CSV file").set_input_files(
        files=[
            {
                "name": "people.csv",
                "mimeType": "text/csv",
                "buffer": ("first_name,phone,email\n" + rows + "Broken,12,\n").encode(),
            }
        ]
    )
    page.get_by_role("button", name="Upload and check the columns").click()
    # The detected mapping is shown, each column editable, before anything starts.
    expect(page.get_by_label("first_name")).to_have_value("first_name")
    page.get_by_label("Tags for every row (comma-separated)").fill("imported")
    page.get_by_role("button", name="Start the import").click()
    expect(page.get_by_role("heading", name="Import of people.csv")).to_be_visible()
    # The progress block is polled by htmx until the job is done; no reload.
    expect(page.locator(".pct")).to_have_text("100 %")
    expect(page.locator(".job-status")).to_have_text("completed")
    expect(page.locator(".created")).to_have_text("300")
    expect(page.locator(".failed")).to_have_text("1")
    expect(page.get_by_role("link", name="Download the failed rows (CSV)")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "import.png", full_page=True)
    page.get_by_role("link", name="See the contacts").click()
    page.get_by_label("Tag").fill("imported")
    page.get_by_role("button", name="Search").click()
    # htmx swaps the results, then puts the filter in the address.
    expect(page).to_have_url(re.compile(r"tag=imported"))
    page.get_by_role("link", name="Count all").click()
    expect(page.get_by_text("300 contacts in all")).to_be_visible()


def test_build_a_segment_and_see_its_count(page: Page, server: dict[str, Any]):
    base = server["base"]
    api = {"Authorization": f"Bearer {server['key']}"}
    for n, tags in enumerate((["gold"], ["gold"], ["silver"])):
        made = httpx.post(
            f"{base}/v1/contacts",
            headers=api,
            json={"email": f"seg{n}@example.com", "tags": tags},
            timeout=10,
        )
        assert made.status_code == 201, made.text
    _sign_in(page, base, server["key"])
    page.get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="New segment").first.click()
    page.get_by_label("Name").fill("Gold")
    page.get_by_label("Field 1").fill("tags")
    page.get_by_label("Condition 1").select_option("has")
    page.get_by_label("Value 1").fill("gold")
    # The count follows the filter as it is typed (htmx posts the form to the preview).
    expect(page.locator(".segment-count")).to_have_text("2")
    page.get_by_label("Match").select_option("any")
    page.get_by_label("Field 2").fill("tags")
    page.get_by_label("Condition 2").select_option("has")
    page.get_by_label("Value 2").fill("silver")
    expect(page.locator(".segment-count")).to_have_text("3")
    page.screenshot(path=ARTIFACTS / "segment-builder.png", full_page=True)
    page.get_by_label("Match").select_option("all")
    expect(page.locator(".segment-count")).to_have_text("0")
    page.get_by_label("Value 2").fill("")
    page.get_by_label("Field 2").fill("")
    expect(page.locator(".segment-count")).to_have_text("2")
    # A nested group (any of its parts), added in place by htmx: gold AND (silver OR gold).
    page.get_by_role("button", name="Add a group", exact=True).click()
    page.get_by_label("Field 4").fill("tags")
    page.get_by_label("Condition 4").select_option("has")
    page.get_by_label("Value 4").fill("silver")
    page.get_by_label("Field 5").fill("tags")
    page.get_by_label("Condition 5").select_option("has")
    page.get_by_label("Value 5").fill("gold")
    expect(page.locator(".segment-count")).to_have_text("2")
    page.get_by_label("Group 1 needs").select_option("none")
    expect(page.locator(".segment-count")).to_have_text("0")
    page.get_by_role("button", name="Remove group 1").click()
    expect(page.locator(".segment-count")).to_have_text("2")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("heading", name="Segment Gold")).to_be_visible()
    expect(page.locator("table.contacts")).to_contain_text("seg0@example.com")
    expect(page.locator("table.contacts")).not_to_contain_text("seg2@example.com")
    # Edit it: the saved filter is in the builder; widen it and see the members change.
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Value 1")).to_have_value("gold")
    page.get_by_label("Condition 1").select_option("has_any")
    page.get_by_label("Value 1").fill("gold, silver")
    expect(page.locator(".segment-count")).to_have_text("3")
    page.get_by_role("button", name="Save segment").click()
    expect(page.locator("table.contacts")).to_contain_text("seg2@example.com")


def test_a_read_only_key_cannot_write(page: Page, server: dict[str, Any]):
    base = server["base"]
    api = {"Authorization": f"Bearer {server['key']}"}
    made = httpx.post(
        f"{base}/v1/contacts", headers=api, json={"email": "reader@example.com"}, timeout=10
    )
    contact_id = made.json()["id"]
    _sign_in(page, base, server["reader"])
    expect(page.get_by_text("read only")).to_be_visible()
    expect(page.get_by_role("link", name="New contact")).to_have_count(0)
    page.goto(f"{base}/console/contacts/{contact_id}")
    expect(page.get_by_role("heading", name="reader@example.com")).to_be_visible()
    expect(page.get_by_role("button", name="Save consent")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "contact-read-only.png", full_page=True)
    # A write forged with the session's own cookie and CSRF token is refused.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = page.request.post(
        f"{base}/console/contacts/{contact_id}/archive", form={"csrf_token": token or ""}
    )
    assert forged.status == 403
    assert "contacts:write" in forged.text()
    page.goto(f"{base}/console/contacts/new")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "forbidden.png", full_page=True)
