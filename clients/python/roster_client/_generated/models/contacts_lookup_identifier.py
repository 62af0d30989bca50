from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ContactsLookupIdentifier")


@_attrs_define
class ContactsLookupIdentifier:
    """
    Attributes:
        phone (str | Unset): Any format; normalised first
        email (str | Unset):
        external_id (str | Unset):
        handle (str | Unset): channel:address, e.g. whatsapp:+1…
    """

    phone: str | Unset = UNSET
    email: str | Unset = UNSET
    external_id: str | Unset = UNSET
    handle: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        phone = self.phone

        email = self.email

        external_id = self.external_id

        handle = self.handle

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if phone is not UNSET:
            field_dict["phone"] = phone
        if email is not UNSET:
            field_dict["email"] = email
        if external_id is not UNSET:
            field_dict["external_id"] = external_id
        if handle is not UNSET:
            field_dict["handle"] = handle

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        phone = d.pop("phone", UNSET)

        email = d.pop("email", UNSET)

        external_id = d.pop("external_id", UNSET)

        handle = d.pop("handle", UNSET)

        contacts_lookup_identifier = cls(
            phone=phone,
            email=email,
            external_id=external_id,
            handle=handle,
        )

        return contacts_lookup_identifier
