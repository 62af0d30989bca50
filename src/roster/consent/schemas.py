"""Request and response shapes of consent: preferences, history, opt-outs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from roster.contacts.schemas import TEXT, Contact, Preference, PreferenceChannel, Preferences
from roster.kit.openapi import omittable


class PreferencesWrite(BaseModel):
    """An explicit consent change. ``source`` is the evidence (``keyword:STOP``,
    ``web_form:signup``, ``double_opt_in``); it is required and lands in the history."""

    model_config = ConfigDict(extra="forbid")

    preferences: dict[PreferenceChannel, Preference] = Field(
        default_factory=dict, description="Channels to change; others keep their state"
    )
    source: str = Field(min_length=1, max_length=255, examples=["keyword:STOP"])
    note: str | None = Field(default=None, max_length=2000)
    suppressed: StrictBool | None = omittable(
        description="Suppress (true) or lift a suppression (false)"
    )
    suppressed_reason: str | None = Field(
        default=None,
        max_length=255,
        examples=["unsubscribed", "bounced", "complained"],
        json_schema_extra={"pattern": TEXT},
    )


class ConsentEvent(BaseModel):
    id: str
    channel: str = Field(description="A preference channel, or `suppression`")
    from_: str = Field(alias="from")
    to: str
    source: str
    actor: str | None = Field(description="Id of the credential that made the change")
    note: str | None
    at: str


class ConsentPage(BaseModel):
    data: list[ConsentEvent]
    has_more: bool
    next_cursor: str | None


class OptOutPage(BaseModel):
    data: list[Contact]
    has_more: bool
    next_cursor: str | None


__all__ = ["ConsentEvent", "ConsentPage", "OptOutPage", "Preferences", "PreferencesWrite"]
