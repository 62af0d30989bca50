"""The ``roster`` command's frame: the command groups, the error handling every command
shares, and running work against the local database."""

from __future__ import annotations

import asyncio
import json
import logging
import logging.config
import os
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from typer.core import TyperGroup

from roster import wiring
from roster.cli.errors import INTERRUPTED, USAGE, CliError, explain, sqlite_folder_problem
from roster.config import Settings
from roster.kit import logs
from roster.kit.db import create_engine, transaction
from roster.migrate import upgrade

T = TypeVar("T")
console = Console()
err = Console(stderr=True)
_ARGS = "roster_args"


def roster_version() -> str:
    try:
        return version("roster")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


class RosterGroup(TyperGroup):
    """Every failure of every command is reported here, once: one or two lines (or JSON with
    ``--json``), and an exit code (roster.cli.errors); a traceback only with ``--debug``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta.setdefault(_ARGS, list(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BaseException as exc:
            if isinstance(exc, SystemExit | GeneratorExit):
                raise
            args = ctx.meta.get(_ARGS, [])
            if "--debug" in args or os.environ.get("ROSTER_DEBUG"):
                raise
            report(explain(exc, database_url=_database_url()), as_json="--json" in args)


def report(error: CliError, *, as_json: bool) -> NoReturn:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "error": error.message,
                    "hint": error.hint,
                    "details": error.details,
                    "exit_code": error.code,
                }
            ),
            err=True,
        )
    else:
        typer.echo(f"roster: {error.message}", err=True)
        for line in error.details:
            typer.echo(f"  {line}", err=True)
        if error.hint:
            typer.echo(f"  {error.hint}", err=True)
    raise typer.Exit(error.code)


def _database_url() -> str | None:
    try:
        return Settings().url
    except Exception:  # the settings themselves are what failed
        return None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"roster {roster_version()}")
        raise typer.Exit()


app = typer.Typer(
    cls=RosterGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Roster contacts service. Exit codes: 0 done, 1 failed or refused, 2 bad command "
    "line, 3 database or server unreachable (retry), 130 interrupted.",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema, backup and restore")
tenants_app = typer.Typer(no_args_is_help=True, help="Tenants")
keys_app = typer.Typer(no_args_is_help=True, help="API keys")
app.add_typer(db_app, name="db")
app.add_typer(tenants_app, name="tenants")
app.add_typer(keys_app, name="keys")


@app.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
    _debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback when a command fails")
    ] = False,
) -> None:
    """Roster contacts service."""
    # Every command works with the hooks the server has (consent rules on contact writes).
    wiring.install()


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


def settings() -> Settings:
    """The settings, or a clear error naming the one that is wrong."""
    try:
        return Settings()
    except Exception as exc:
        raise CliError(f"the settings are invalid: {exc}".splitlines()[0], code=USAGE) from exc


def configure_logging(current: Settings) -> None:
    """The log format of the server, for the commands that run for long (worker, relay)."""
    logging.config.dictConfig(logs.config(current.log_level, current.log_format))


def local(current: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Migrate the local database, then run ``work`` in one committed transaction."""
    if current.is_sqlite:
        current.data_dir.mkdir(parents=True, exist_ok=True)
        problem = sqlite_folder_problem(current.url)
        if problem is not None:
            raise problem

    async def main() -> T:
        engine = create_engine(current.url, pool_size=1)
        try:
            await upgrade(engine)
            async with transaction(engine, write=True) as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        raise CliError("interrupted", code=INTERRUPTED) from None
