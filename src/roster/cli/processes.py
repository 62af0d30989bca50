"""``roster serve``, ``roster worker`` and ``roster relay``: the long-running processes."""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import socket
from typing import Annotated, Any

import typer

from roster import wiring
from roster.cli.base import app, configure_logging, local, settings
from roster.cli.errors import CliError
from roster.config import Settings
from roster.tenants import service as tenants


def _port_is_free(host: str, port: int) -> None:
    """Refuse at once, before anything is created, when another process holds the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(
                    f"port {port} on {host} is already in use (another Roster, or another program)",
                    "stop it, or choose another port with --port or ROSTER_PORT",
                ) from None
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


async def _start(conn: Any) -> tuple[tenants.CreatedKey | None, list[dict[str, Any]]]:
    created = await tenants.bootstrap(conn)
    return created, await tenants.all_tenants(conn)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: ROSTER_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default: ROSTER_PORT or 8000")] = None,
    workers: Annotated[int | None, typer.Option(help="Server processes")] = None,
) -> None:
    """Migrate the database and serve the API (with the job worker and the webhook relay
    in-process unless ROSTER_EMBEDDED_WORKER / ROSTER_EMBEDDED_RELAY are false). On an
    empty database, create a tenant and an admin key and print them once."""
    for name, value in (
        ("ROSTER_HOST", host),
        ("ROSTER_PORT", port),
        ("ROSTER_WORKERS", workers),
    ):
        if value is not None:
            os.environ[name] = str(value)
    current = settings()
    _port_is_free(current.host, current.port)
    created, known = local(current, _start)
    base = f"http://{current.host}:{current.port}"
    # Plain echo, not rich: the key and the curl line must never be wrapped or styled.
    if created is not None:
        typer.echo(
            f"Created tenant {created.tenant_id} and an admin API key (shown once, keep it):\n"
            f"  {created.key}\n"
            f"Try it:\n"
            f"  curl -H 'Authorization: Bearer {created.key}' {base}/v1/contacts\n"
            f"Or open the console in a browser and sign in with the key:\n"
            f"  {base}/console"
        )
    else:
        typer.echo(_existing(known))
    typer.echo(f"Roster listening on {base} (API docs: {base}/docs, console: {base}/console)")

    import uvicorn

    from roster.kit import logs

    uvicorn.run(
        "roster.app:create_app",
        factory=True,
        host=current.host,
        port=current.port,
        workers=current.workers,
        log_level=current.log_level,
        access_log=False,
        log_config=logs.config(current.log_level, current.log_format),
        server_header=False,
        # With h11 (httptools has no such bound) a head over this is cut off with the
        # server's bare 400; it is set well above the app's own header limit, so that what
        # passes that limit gets the app's 431 problem, and only bounds a connection's buffer.
        h11_max_incomplete_event_size=4 * current.max_header_bytes,
    )


def _existing(known: list[dict[str, Any]]) -> str:
    """What a later start says: the tenants there are, and how to get a key for one."""
    if len(known) == 1:
        only = known[0]
        return (
            f"Using the existing database: tenant {only['id']} ({only['name']}). Another key: "
            f"roster keys create --tenant {only['id']} --scopes admin"
        )
    listed = ", ".join(f"{t['id']} ({t['name']})" for t in known[:5])
    more = f" and {len(known) - 5} more ('roster tenants list')" if len(known) > 5 else ""
    return (
        f"Using the existing database: {len(known)} tenants: {listed}{more}. Another key: "
        "roster keys create --tenant <id> --scopes admin"
    )


@app.command()
def relay() -> None:
    """Deliver events to webhook endpoints until stopped (SIGINT or SIGTERM). Needed only
    beside servers with ROSTER_EMBEDDED_RELAY=false."""
    from roster.kit.db import create_engine
    from roster.kit.heap import freeze_heap
    from roster.migrate import upgrade
    from roster.webhooks.relay import Relay

    current = settings()
    configure_logging(current)

    async def run() -> None:
        wiring.install()
        engine = create_engine(
            current.url, pool_size=current.db_pool_size, **current.engine_options()
        )
        await upgrade(engine)
        freeze_heap()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            async with Relay(engine, current) as relay_loop:
                typer.echo("relay running", err=True)
                await relay_loop.run(stop)
        finally:
            await engine.dispose()

    asyncio.run(run())


@app.command()
def worker() -> None:
    """Run background jobs (imports, bulk actions) until stopped (SIGINT/SIGTERM). Needed
    only beside servers with ROSTER_EMBEDDED_WORKER=false."""
    from roster.cli import transfer

    current: Settings = settings()
    configure_logging(current)
    asyncio.run(transfer.run_worker(current))
