"""The CLI as an operator meets it, through the real command in processes of its own:
version, tenants and keys, errors in a line or two with their exit codes, a port already in
use, no partial files, the import bar in 80 columns, and the server's log lines."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.test_serve import cli_env, free_port, start_serve, stop

pytestmark = pytest.mark.slow
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def roster(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roster", *args],
        env=cli_env(data_dir, **env),
        capture_output=True,
        text=True,
        cwd=data_dir,
        timeout=120,
    )


def _short(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The error lines: one or two (plus one per field), never a traceback."""
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr, done.stderr
    assert 1 <= len(lines) <= 4, done.stderr
    assert lines[0].startswith("roster: "), done.stderr
    return lines


def test_version_tenants_and_keys(tmp_path: Path) -> None:
    assert re.fullmatch(r"roster \S+\n", roster(tmp_path, "--version").stdout)
    empty = roster(tmp_path, "tenants", "list")
    assert empty.returncode == 0 and "no tenants yet" in empty.stdout
    made = roster(tmp_path, "tenants", "create", "Acme")
    tenant = re.search(r"tenant (\S+) \(Acme\)", made.stdout)
    assert tenant, made.stdout
    tenant_id = tenant.group(1)
    assert f"roster keys create --tenant {tenant_id}" in made.stdout
    key = json.loads(roster(tmp_path, "keys", "create", "--tenant", tenant_id, "--json").stdout)
    listed = json.loads(roster(tmp_path, "tenants", "list", "--json").stdout)
    assert listed == [
        {**listed[0], "id": tenant_id, "name": "Acme", "active_keys": 1},
    ]
    keys = roster(tmp_path, "keys", "list", "--tenant", tenant_id, "--json")
    (shown,) = json.loads(keys.stdout)
    assert shown["id"] == key["id"] and shown["tenant_id"] == tenant_id
    assert shown["last_four"] == key["key"][-4:] and shown["active"] is True
    human = roster(tmp_path, "keys", "list")
    assert key["key"] not in human.stdout + keys.stdout  # never the key itself
    assert shown["prefix"] in human.stdout
    revoked = roster(tmp_path, "keys", "revoke", key["id"])
    assert revoked.returncode == 0 and tenant_id in revoked.stdout
    (after,) = json.loads(roster(tmp_path, "keys", "list", "--json").stdout)
    assert after["revoked"] is True and after["active"] is False


def test_errors_are_a_line_or_two_with_their_exit_code(tmp_path: Path) -> None:
    bad_id = roster(tmp_path, "keys", "create", "--tenant", "not-a-uuid")
    assert bad_id.returncode == 2
    assert "--tenant 'not-a-uuid' is not an id" in _short(bad_id)[0]

    unknown = roster(tmp_path, "keys", "revoke", "01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55")
    assert unknown.returncode == 1 and "no API key" in _short(unknown)[0]

    down = f"http://127.0.0.1:{free_port()}"
    source = tmp_path / "people.csv"
    source.write_text("phone\n+14155550100\n")
    remote = roster(tmp_path, "import", str(source), "--url", down, "--key", "k")
    assert remote.returncode == 3
    lines = _short(remote)
    assert down in lines[0] and "is the server running" in lines[1]
    as_json = roster(tmp_path, "import", str(source), "--url", down, "--key", "k", "--json")
    error = json.loads(as_json.stderr)
    assert error["exit_code"] == 3 and down in error["error"]

    nowhere = roster(
        tmp_path, "tenants", "list", ROSTER_DATABASE_URL="sqlite:////no/such/folder/roster.db"
    )
    assert nowhere.returncode == 1
    assert "the folder /no/such/folder does not exist" in _short(nowhere)[0]

    pg_down = roster(
        tmp_path,
        "tenants",
        "list",
        ROSTER_DATABASE_URL=f"postgresql://roster:secret@127.0.0.1:{free_port()}/roster",
    )
    assert pg_down.returncode == 3
    lines = _short(pg_down)
    assert "not reachable" in lines[0] and "secret" not in pg_down.stderr

    refused = roster(tmp_path, "keys", "create", "--tenant", "01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55")
    assert refused.returncode == 1, refused.stderr
    _short(refused)

    debug = roster(tmp_path, "--debug", "keys", "revoke", "01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55")
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_a_port_in_use_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = roster(tmp_path, "serve", "--port", str(port))
    assert done.returncode == 1
    lines = _short(done)
    assert f"port {port} on 127.0.0.1 is already in use" in lines[0]
    assert "rk_live_" not in done.stdout and "listening" not in done.stdout
    assert not (tmp_path / "var" / "roster.db").exists()


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "contacts.csv"
    down = f"http://127.0.0.1:{free_port()}"
    done = roster(tmp_path, "export", "-o", str(out), "--url", down, "--key", "k")
    assert done.returncode == 3
    assert not out.exists() and not list(tmp_path.glob("contacts.csv*"))


def _in_a_terminal(data_dir: Path, *args: str, columns: int = 80) -> tuple[int, str]:
    """Run the command on a pseudo-terminal ``columns`` wide; its exit code and output."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = cli_env(data_dir)
    env.pop("COLUMNS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "roster", *args],
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=data_dir,
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    return process.wait(timeout=30), output.decode(errors="replace")


def test_the_import_bar_fits_80_columns_and_ends_with_the_counts(tmp_path: Path) -> None:
    roster(tmp_path, "tenants", "create", "acme")
    rows = [f"+1415555{n:04d},Person {n}" for n in range(3000)]
    rows[1500] = "not a phone,Broken Row"
    source = tmp_path / "people.csv"
    source.write_text("phone,name\n" + "\n".join(rows) + "\n")
    code, output = _in_a_terminal(tmp_path, "import", str(source))
    assert code == 0, output
    visible = [ANSI.sub("", piece) for piece in re.split(r"[\r\n]", output) if piece.strip()]
    errors_file = tmp_path / "people.errors.csv"
    # Every line fits, but the one naming the file (as long as its path).
    assert visible[-1] == f"failed rows: {errors_file}", visible[-1]
    assert all(len(piece) <= 80 for piece in visible[:-1]), max(visible[:-1], key=len)
    counts = visible[-2]
    assert counts.startswith("import completed: 3,000 rows:"), counts
    assert "2,999 created" in counts and "1 failed" in counts, counts
    failed = errors_file.read_text().splitlines()
    assert failed[0].startswith("row,column,error,phone,name") and "Broken Row" in failed[1]


def test_every_log_line_is_one_json_object_or_text_when_asked(tmp_path: Path) -> None:
    port = free_port()
    process, lines = start_serve(tmp_path, port, logs_only=True)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        stop(process)
    assert process.stderr is not None
    lines += process.stderr.read().splitlines()
    parsed = [json.loads(line) for line in lines if line.strip()]
    assert parsed
    for entry in parsed:
        assert {"ts", "level", "logger", "message"} <= set(entry), entry
        assert entry["ts"].endswith("Z")
    loggers = {entry["logger"] for entry in parsed}
    assert "roster.access" in loggers and any(name.startswith("uvicorn") for name in loggers)
    access = next(e for e in parsed if e["logger"] == "roster.access")
    assert access["route"] == "/healthz" and access["status"] == 200

    port = free_port()
    process, lines = start_serve(tmp_path, port, logs_only=True, ROSTER_LOG_FORMAT="text")
    stop(process)
    assert all(not line.startswith("{") for line in lines if line.strip())
    assert any(" INFO " in line for line in lines)
