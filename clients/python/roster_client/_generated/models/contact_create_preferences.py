from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.contact_create_preferences_additional_property import (
    ContactCreatePreferencesAdditionalProperty,
)

T = TypeVar("T", bound="ContactCreatePreferences")


@_attrs_define
class ContactCreatePreferences:
    additional_properties: dict[str, ContactCreatePreferencesAdditionalProperty] = (
        _attrs_field(init=False, factory=dict)
    )

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        for prop_name, prop in self.additional_properties.items():
            field_dict[prop_name] = prop.value

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        contact_create_preferences = cls()

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional_property = ContactCreatePreferencesAdditionalProperty(prop_dict)

            additional_properties[prop_name] = additional_property

        contact_create_preferences.additional_properties = additional_properties
        return contact_create_preferences

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> ContactCreatePreferencesAdditionalProperty:
        return self.additional_properties[key]

    def __setitem__(
        self, key: str, value: ContactCreatePreferencesAdditionalProperty
    ) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
