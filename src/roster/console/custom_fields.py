"""Custom fields on the contact forms: one input per field definition, typed by it (a number
input for a number, a checkbox for a boolean, a select for an enum), and the form's text
turned back into the value the definition takes. The definitions' own validators, run by
the contacts service, judge the values; their messages come back beside the inputs."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from roster.fielddefs.types import from_text

Row = dict[str, Any]
PREFIX = "cf."
# Names the form sends for each field it showed, so that an unchecked box (which sends
# nothing) can be told from a form without the field.
SHOWN = "cf_shown"
_INPUT_TYPES = {"number": "number", "date": "date", "url": "url", "email": "email", "phone": "tel"}
_HINTS = {
    "datetime": "An instant, e.g. 2026-01-31T09:00:00Z",
    "phone": "As you would dial it; saved in international form.",
}


def inputs(definitions: list[Row], stored: Row, form: FormData | None = None) -> list[Row]:
    """What the template draws for each definition: its key, label, kind of input, options
    and the value to show (as typed when the form comes back with errors, else as stored)."""
    shown = []
    for d in definitions:
        key, kind = d["key"], d["type"]
        if form is not None:
            raw = form.get(PREFIX + key)
            value: Any = raw if isinstance(raw, str) else ""
            checked = raw == "true"
        else:
            current = stored.get(key)
            value = "" if current is None or isinstance(current, bool) else str(current)
            checked = current is True
        shown.append(
            {
                "key": key,
                "name": PREFIX + key,
                "label": d["label"],
                "kind": kind,
                "input": _INPUT_TYPES.get(kind, "text"),
                "options": d["options"] or [],
                "value": value,
                "checked": checked,
                "hint": _HINTS.get(kind),
            }
        )
    return shown


def others(definitions: list[Row], stored: Row) -> list[tuple[str, Any]]:
    """Stored custom fields with no definition: shown, not edited, on the form (their values
    may be any JSON)."""
    defined = {d["key"] for d in definitions}
    return sorted((k, v) for k, v in stored.items() if k not in defined)


def patch(definitions: list[Row], form: FormData, stored: Row) -> tuple[Row, dict[str, str]]:
    """The ``custom_fields`` merge patch the form asks for: a blank input removes the field,
    an unchecked box sets false only where the field was set; numbers are read from their
    text as an import reads them. A number that does not read is passed on as text, which
    the contacts service refuses; the reader's own message for it comes back too, keyed
    as the service's field problems are, to show instead of the service's."""
    sent = {v for v in form.getlist(SHOWN) if isinstance(v, str)}
    out: Row = {}
    unread: dict[str, str] = {}
    for d in definitions:
        key, kind = d["key"], d["type"]
        if key not in sent:
            continue
        raw = form.get(PREFIX + key)
        text = raw.strip() if isinstance(raw, str) else ""
        if kind == "boolean":
            if text == "true":
                out[key] = True
            elif stored.get(key) is not None:
                out[key] = False
        elif not text:
            if key in stored:
                out[key] = None
        elif kind == "number":
            try:
                out[key] = from_text(kind, text)
            except ValueError as exc:
                out[key] = text
                unread[f"custom_fields.{key}"] = str(exc)
        else:
            out[key] = text
    return out, unread
