from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Handles")


@_attrs_define
class Handles:
    """
    Attributes:
        whatsapp (None | str):
        viber (None | str):
        rcs (None | str):
        telegram (None | str):
        messenger (None | str):
        instagram (None | str):
    """

    whatsapp: None | str
    viber: None | str
    rcs: None | str
    telegram: None | str
    messenger: None | str
    instagram: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        whatsapp: None | str
        whatsapp = self.whatsapp

        viber: None | str
        viber = self.viber

        rcs: None | str
        rcs = self.rcs

        telegram: None | str
        telegram = self.telegram

        messenger: None | str
        messenger = self.messenger

        instagram: None | str
        instagram = self.instagram

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "whatsapp": whatsapp,
                "viber": viber,
                "rcs": rcs,
                "telegram": telegram,
                "messenger": messenger,
                "instagram": instagram,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_whatsapp(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        whatsapp = _parse_whatsapp(d.pop("whatsapp"))

        def _parse_viber(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        viber = _parse_viber(d.pop("viber"))

        def _parse_rcs(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        rcs = _parse_rcs(d.pop("rcs"))

        def _parse_telegram(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        telegram = _parse_telegram(d.pop("telegram"))

        def _parse_messenger(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        messenger = _parse_messenger(d.pop("messenger"))

        def _parse_instagram(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        instagram = _parse_instagram(d.pop("instagram"))

        handles = cls(
            whatsapp=whatsapp,
            viber=viber,
            rcs=rcs,
            telegram=telegram,
            messenger=messenger,
            instagram=instagram,
        )

        handles.additional_properties = d
        return handles

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
