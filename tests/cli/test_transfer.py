"""`roster import` / `roster export` on the local database and against a running
`roster serve` (whose embedded SQLite worker runs the import: one process)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_serve import cli_env, free_port, start_serve, stop

pytestmark = pytest.mark.slow
CSV = "Email Address,First Name,Mobile Phone\nada@example.com,Ada,+14155550100\nbad,X,\n"


def roster(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roster", *args],
        env=cli_env(data_dir),
        capture_output=True,
        text=True,
        cwd=data_dir,
        timeout=120,
    )


def test_import_and_export_on_the_local_database(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(CSV)
    tenant = json.loads(roster(tmp_path, "tenants", "create", "acme", "--json").stdout)["id"]
    done = roster(tmp_path, "import", str(source), "--json", "--tags", "cli")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert (job["status"], job["created"], job["failed"]) == ("completed", 1, 1)
    out = tmp_path / "out.ndjson"
    exported = roster(tmp_path, "export", "--format", "ndjson", "-o", str(out), "--tenant", tenant)
    assert exported.returncode == 0, exported.stderr
    (line,) = out.read_text().splitlines()
    contact = json.loads(line)
    assert (contact["email"], contact["phone"], contact["tags"]) == (
        "ada@example.com",
        "+14155550100",
        ["cli"],
    )
    refused = roster(tmp_path, "import", str(source), "--mapping", '{"x": "nope"}')
    assert refused.returncode != 0 and "mapping" in refused.stderr + refused.stdout


def test_import_and_export_through_a_running_server(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(CSV)
    port = free_port()
    proc, lines = start_serve(tmp_path, port)
    try:
        key = re.findall(r"rk_live_[A-Za-z0-9]{32}", "\n".join(lines))[0]
        url = f"http://127.0.0.1:{port}"
        done = roster(tmp_path, "import", str(source), "--url", url, "--key", key, "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["created"] == 1
        exported = roster(tmp_path, "export", "--url", url, "--key", key)
        assert exported.returncode == 0, exported.stderr
        rows = exported.stdout.splitlines()
        assert rows[0].startswith("id,first_name") and len(rows) == 2
        assert "ada@example.com" in rows[1]
    finally:
        stop(proc)
