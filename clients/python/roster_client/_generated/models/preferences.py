from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.preferences_email import PreferencesEmail
from ..models.preferences_rcs import PreferencesRcs
from ..models.preferences_sms import PreferencesSms
from ..models.preferences_viber import PreferencesViber
from ..models.preferences_voice import PreferencesVoice
from ..models.preferences_whatsapp import PreferencesWhatsapp

T = TypeVar("T", bound="Preferences")


@_attrs_define
class Preferences:
    """
    Attributes:
        sms (PreferencesSms):
        whatsapp (PreferencesWhatsapp):
        email (PreferencesEmail):
        rcs (PreferencesRcs):
        viber (PreferencesViber):
        voice (PreferencesVoice):
    """

    sms: PreferencesSms
    whatsapp: PreferencesWhatsapp
    email: PreferencesEmail
    rcs: PreferencesRcs
    viber: PreferencesViber
    voice: PreferencesVoice
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sms = self.sms.value

        whatsapp = self.whatsapp.value

        email = self.email.value

        rcs = self.rcs.value

        viber = self.viber.value

        voice = self.voice.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "sms": sms,
                "whatsapp": whatsapp,
                "email": email,
                "rcs": rcs,
                "viber": viber,
                "voice": voice,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        sms = PreferencesSms(d.pop("sms"))

        whatsapp = PreferencesWhatsapp(d.pop("whatsapp"))

        email = PreferencesEmail(d.pop("email"))

        rcs = PreferencesRcs(d.pop("rcs"))

        viber = PreferencesViber(d.pop("viber"))

        voice = PreferencesVoice(d.pop("voice"))

        preferences = cls(
            sms=sms,
            whatsapp=whatsapp,
            email=email,
            rcs=rcs,
            viber=viber,
            voice=voice,
        )

        preferences.additional_properties = d
        return preferences

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
