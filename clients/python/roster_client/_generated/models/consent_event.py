from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ConsentEvent")


@_attrs_define
class ConsentEvent:
    """
    Attributes:
        id (str):
        channel (str): A preference channel, or `suppression`
        from_ (str):
        to (str):
        source (str):
        actor (None | str): Id of the credential that made the change
        note (None | str):
        at (str):
    """

    id: str
    channel: str
    from_: str
    to: str
    source: str
    actor: None | str
    note: None | str
    at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        channel = self.channel

        from_ = self.from_

        to = self.to

        source = self.source

        actor: None | str
        actor = self.actor

        note: None | str
        note = self.note

        at = self.at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "channel": channel,
                "from": from_,
                "to": to,
                "source": source,
                "actor": actor,
                "note": note,
                "at": at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        channel = d.pop("channel")

        from_ = d.pop("from")

        to = d.pop("to")

        source = d.pop("source")

        def _parse_actor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        actor = _parse_actor(d.pop("actor"))

        def _parse_note(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        note = _parse_note(d.pop("note"))

        at = d.pop("at")

        consent_event = cls(
            id=id,
            channel=channel,
            from_=from_,
            to=to,
            source=source,
            actor=actor,
            note=note,
            at=at,
        )

        consent_event.additional_properties = d
        return consent_event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
