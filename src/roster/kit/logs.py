"""Every log line of every logger in one shape: a JSON object per line (the default when
the output is not a terminal), or one readable line of text (``ROSTER_LOG_FORMAT=text``, or
a terminal).

A JSON line has ``ts`` (RFC 3339, UTC), ``level``, ``logger`` and ``message``, plus the
fields a record carries in ``extra={"fields": {...}}`` (the access log's method, route,
status …) and, for a record with an exception, ``error`` (its type and message) and
``traceback``.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

LogFormat = Literal["json", "text"]
FIELDS = "fields"


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(record: logging.LogRecord) -> str | None:
    if not record.exc_info or record.exc_info[1] is None:
        return None
    exc = record.exc_info[1]
    return f"{type(exc).__name__}: {exc}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, FIELDS, None) or {})
        error = _error(record)
        if error is not None:
            line["error"] = error
            line["traceback"] = self.formatException(record.exc_info)  # type: ignore[arg-type]
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, FIELDS, None) or {}
        extra = "".join(f" {k}={v}" for k, v in fields.items() if v is not None)
        text = (
            f"{_timestamp(record)} {record.levelname:<7} {record.name}: "
            f"{record.getMessage()}{extra}"
        )
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + self.formatException(record.exc_info)
        return text


def chosen_format(setting: LogFormat | None) -> LogFormat:
    """The setting, else text on a terminal and JSON otherwise."""
    if setting is not None:
        return setting
    return "text" if sys.stderr.isatty() else "json"


def config(level: str, log_format: LogFormat | None) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server: Roster's, uvicorn's and every other
    logger write through one handler on stderr in one format."""
    formatter = JsonFormatter if chosen_format(log_format) == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"roster": {"()": f"{formatter.__module__}.{formatter.__name__}"}},
        "handlers": {
            "roster": {
                "class": "logging.StreamHandler",
                "formatter": "roster",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["roster"], "level": level.upper()},
        "loggers": {
            # uvicorn's own handlers would print the same lines a second time, unformatted.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # Roster writes its own access line (roster.access); uvicorn's stays off.
            "uvicorn.access": {"handlers": [], "propagate": False},
            "roster.access": {"level": "INFO"},
        },
    }


def transient(logger: logging.Logger, message: str, exc: BaseException, *args: Any) -> None:
    """A condition that is expected and retried (a busy SQLite lock, a lost connection):
    one line naming the error, never a traceback."""
    logger.warning(message + ": %s: %s", *args, type(exc).__name__, exc)
