"""The CLI as a newcomer meets it: `roster serve` on embedded SQLite in a real process."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTER_")}
    env.update(ROSTER_DATA_DIR=str(data_dir), **extra)
    return env


def start_serve(
    data_dir: Path, port: int, *, logs_only: bool = False, **env: str
) -> tuple[subprocess.Popen[str], list[str]]:
    """A running ``roster serve`` and what it printed until it listened: its output and
    logs together, or (``logs_only``) its log lines alone, which go to stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "roster", "serve", "--port", str(port)],
        env=cli_env(data_dir, **env),
        stdout=subprocess.DEVNULL if logs_only else subprocess.PIPE,
        stderr=subprocess.PIPE if logs_only else subprocess.STDOUT,
        text=True,
        cwd=data_dir,
    )
    read = proc.stderr if logs_only else proc.stdout
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert read is not None
    while time.monotonic() < deadline:
        line = read.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        # Uvicorn reports the application started before it binds the port: wait for both.
        if "Uvicorn running on" in line:
            return proc, lines
    proc.kill()
    raise AssertionError("roster serve did not start:\n" + "\n".join(lines))


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_serve_bootstraps_once_and_answers_the_printed_curl_line(tmp_path):
    port = free_port()
    proc, lines = start_serve(tmp_path, port)
    try:
        output = "\n".join(lines)
        keys = re.findall(r"rk_live_[A-Za-z0-9]{32}", output)
        assert keys, output
        key = keys[0]
        curl = next(line for line in lines if line.strip().startswith("curl "))
        url = curl.split()[-1]
        assert url == f"http://127.0.0.1:{port}/v1/contacts"
        header = re.search(r"-H '([^']+)'", curl).group(1)
        name, _, value = header.partition(": ")
        r = httpx.get(url, headers={name: value}, timeout=10)
        assert r.status_code == 200, r.text
        assert r.json() == {"data": [], "has_more": False, "next_cursor": None}
        created = httpx.post(url, headers={name: value}, json={"phone": "+14155550170"})
        assert created.status_code == 201
        # The server lets an oversized head through to the app, which answers 431 as
        # problem+json (not the HTTP parser's bare error).
        big = httpx.get(url, headers={name: value, "X-Big": "a" * 100_000}, timeout=10)
        assert big.status_code == 431, big.text
        assert big.json()["code"] == "request_header_fields_too_large"
    finally:
        stop(proc)
    db = tmp_path / "roster.db"
    assert db.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # a later start reuses the tenant and key: no new key is printed, the old one works
    proc, lines = start_serve(tmp_path, port)
    try:
        assert not re.findall(r"rk_live_[A-Za-z0-9]{32}", "\n".join(lines))
        r = httpx.get(
            f"http://127.0.0.1:{port}/v1/contacts",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert [c["phone"] for c in r.json()["data"]] == ["+14155550170"]
    finally:
        stop(proc)


def test_tenant_and_key_commands(tmp_path):
    def roster(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "roster", *args],
            env=cli_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr + done.stdout
        return done.stdout

    assert "up to date" in roster("db", "upgrade")
    tenant = json.loads(roster("tenants", "create", "Acme", "--region", "GB", "--json"))
    assert tenant["name"] == "Acme"
    key = json.loads(
        roster(
            "keys",
            "create",
            "--tenant",
            tenant["id"],
            "--scopes",
            "contacts:read,contacts:write",
            "--json",
        )
    )
    assert key["key"].startswith("rk_live_")
    assert key["scopes"] == ["contacts:read", "contacts:write"]
    human = roster("keys", "create", "--tenant", tenant["id"], "--scopes", "contacts:read")
    assert re.search(r"rk_live_[A-Za-z0-9]{32}", human)
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "roster",
            "keys",
            "create",
            "--tenant",
            tenant["id"],
            "--scopes",
            "everything",
        ],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert bad.returncode != 0
