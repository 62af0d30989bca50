from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.preferences_write_preferences import PreferencesWritePreferences


T = TypeVar("T", bound="PreferencesWrite")


@_attrs_define
class PreferencesWrite:
    """An explicit consent change. ``source`` is the evidence (``keyword:STOP``,
    ``web_form:signup``, ``double_opt_in``); it is required and lands in the history.

        Attributes:
            source (str):
            preferences (PreferencesWritePreferences | Unset): Channels to change; others keep their state
            note (None | str | Unset):
            suppressed (bool | Unset): Suppress (true) or lift a suppression (false)
            suppressed_reason (None | str | Unset):
    """

    source: str
    preferences: PreferencesWritePreferences | Unset = UNSET
    note: None | str | Unset = UNSET
    suppressed: bool | Unset = UNSET
    suppressed_reason: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        source = self.source

        preferences: dict[str, Any] | Unset = UNSET
        if not isinstance(self.preferences, Unset):
            preferences = self.preferences.to_dict()

        note: None | str | Unset
        if isinstance(self.note, Unset):
            note = UNSET
        else:
            note = self.note

        suppressed = self.suppressed

        suppressed_reason: None | str | Unset
        if isinstance(self.suppressed_reason, Unset):
            suppressed_reason = UNSET
        else:
            suppressed_reason = self.suppressed_reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "source": source,
            }
        )
        if preferences is not UNSET:
            field_dict["preferences"] = preferences
        if note is not UNSET:
            field_dict["note"] = note
        if suppressed is not UNSET:
            field_dict["suppressed"] = suppressed
        if suppressed_reason is not UNSET:
            field_dict["suppressed_reason"] = suppressed_reason

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.preferences_write_preferences import PreferencesWritePreferences

        d = dict(src_dict)
        source = d.pop("source")

        _preferences = d.pop("preferences", UNSET)
        preferences: PreferencesWritePreferences | Unset
        if isinstance(_preferences, Unset):
            preferences = UNSET
        else:
            preferences = PreferencesWritePreferences.from_dict(_preferences)

        def _parse_note(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        note = _parse_note(d.pop("note", UNSET))

        suppressed = d.pop("suppressed", UNSET)

        def _parse_suppressed_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        suppressed_reason = _parse_suppressed_reason(d.pop("suppressed_reason", UNSET))

        preferences_write = cls(
            source=source,
            preferences=preferences,
            note=note,
            suppressed=suppressed,
            suppressed_reason=suppressed_reason,
        )

        return preferences_write
