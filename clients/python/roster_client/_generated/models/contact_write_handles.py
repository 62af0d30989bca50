from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ContactWriteHandles")


@_attrs_define
class ContactWriteHandles:
    """Per channel: a phone number (whatsapp, viber, rcs), a username with or without @ (telegram, instagram) or an id
    (messenger); null removes it

        Attributes:
            whatsapp (None | str | Unset):
            viber (None | str | Unset):
            rcs (None | str | Unset):
            telegram (None | str | Unset):
            instagram (None | str | Unset):
            messenger (None | str | Unset):
    """

    whatsapp: None | str | Unset = UNSET
    viber: None | str | Unset = UNSET
    rcs: None | str | Unset = UNSET
    telegram: None | str | Unset = UNSET
    instagram: None | str | Unset = UNSET
    messenger: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        whatsapp: None | str | Unset
        if isinstance(self.whatsapp, Unset):
            whatsapp = UNSET
        else:
            whatsapp = self.whatsapp

        viber: None | str | Unset
        if isinstance(self.viber, Unset):
            viber = UNSET
        else:
            viber = self.viber

        rcs: None | str | Unset
        if isinstance(self.rcs, Unset):
            rcs = UNSET
        else:
            rcs = self.rcs

        telegram: None | str | Unset
        if isinstance(self.telegram, Unset):
            telegram = UNSET
        else:
            telegram = self.telegram

        instagram: None | str | Unset
        if isinstance(self.instagram, Unset):
            instagram = UNSET
        else:
            instagram = self.instagram

        messenger: None | str | Unset
        if isinstance(self.messenger, Unset):
            messenger = UNSET
        else:
            messenger = self.messenger

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if whatsapp is not UNSET:
            field_dict["whatsapp"] = whatsapp
        if viber is not UNSET:
            field_dict["viber"] = viber
        if rcs is not UNSET:
            field_dict["rcs"] = rcs
        if telegram is not UNSET:
            field_dict["telegram"] = telegram
        if instagram is not UNSET:
            field_dict["instagram"] = instagram
        if messenger is not UNSET:
            field_dict["messenger"] = messenger

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_whatsapp(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        whatsapp = _parse_whatsapp(d.pop("whatsapp", UNSET))

        def _parse_viber(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        viber = _parse_viber(d.pop("viber", UNSET))

        def _parse_rcs(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        rcs = _parse_rcs(d.pop("rcs", UNSET))

        def _parse_telegram(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        telegram = _parse_telegram(d.pop("telegram", UNSET))

        def _parse_instagram(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        instagram = _parse_instagram(d.pop("instagram", UNSET))

        def _parse_messenger(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        messenger = _parse_messenger(d.pop("messenger", UNSET))

        contact_write_handles = cls(
            whatsapp=whatsapp,
            viber=viber,
            rcs=rcs,
            telegram=telegram,
            instagram=instagram,
            messenger=messenger,
        )

        return contact_write_handles
