from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.contact_custom_fields import ContactCustomFields
    from ..models.handles import Handles
    from ..models.preferences import Preferences


T = TypeVar("T", bound="Contact")


@_attrs_define
class Contact:
    """
    Attributes:
        id (str):
        first_name (None | str):
        last_name (None | str):
        name (None | str):
        phone (None | str):
        email (None | str):
        external_id (None | str):
        company (None | str):
        job_title (None | str):
        status (None | str):
        country (None | str):
        language (None | str):
        avatar_url (None | str):
        source (str):
        tags (list[str]):
        custom_fields (ContactCustomFields):
        handles (Handles):
        preferences (Preferences):
        suppressed (bool):
        suppressed_reason (None | str):
        created_at (str):
        updated_at (str):
        deleted_at (None | str): Set while the contact is archived
        version (int):
    """

    id: str
    first_name: None | str
    last_name: None | str
    name: None | str
    phone: None | str
    email: None | str
    external_id: None | str
    company: None | str
    job_title: None | str
    status: None | str
    country: None | str
    language: None | str
    avatar_url: None | str
    source: str
    tags: list[str]
    custom_fields: ContactCustomFields
    handles: Handles
    preferences: Preferences
    suppressed: bool
    suppressed_reason: None | str
    created_at: str
    updated_at: str
    deleted_at: None | str
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        first_name: None | str
        first_name = self.first_name

        last_name: None | str
        last_name = self.last_name

        name: None | str
        name = self.name

        phone: None | str
        phone = self.phone

        email: None | str
        email = self.email

        external_id: None | str
        external_id = self.external_id

        company: None | str
        company = self.company

        job_title: None | str
        job_title = self.job_title

        status: None | str
        status = self.status

        country: None | str
        country = self.country

        language: None | str
        language = self.language

        avatar_url: None | str
        avatar_url = self.avatar_url

        source = self.source

        tags = self.tags

        custom_fields = self.custom_fields.to_dict()

        handles = self.handles.to_dict()

        preferences = self.preferences.to_dict()

        suppressed = self.suppressed

        suppressed_reason: None | str
        suppressed_reason = self.suppressed_reason

        created_at = self.created_at

        updated_at = self.updated_at

        deleted_at: None | str
        deleted_at = self.deleted_at

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "first_name": first_name,
                "last_name": last_name,
                "name": name,
                "phone": phone,
                "email": email,
                "external_id": external_id,
                "company": company,
                "job_title": job_title,
                "status": status,
                "country": country,
                "language": language,
                "avatar_url": avatar_url,
                "source": source,
                "tags": tags,
                "custom_fields": custom_fields,
                "handles": handles,
                "preferences": preferences,
                "suppressed": suppressed,
                "suppressed_reason": suppressed_reason,
                "created_at": created_at,
                "updated_at": updated_at,
                "deleted_at": deleted_at,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.contact_custom_fields import ContactCustomFields
        from ..models.handles import Handles
        from ..models.preferences import Preferences

        d = dict(src_dict)
        id = d.pop("id")

        def _parse_first_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        first_name = _parse_first_name(d.pop("first_name"))

        def _parse_last_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_name = _parse_last_name(d.pop("last_name"))

        def _parse_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        name = _parse_name(d.pop("name"))

        def _parse_phone(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        phone = _parse_phone(d.pop("phone"))

        def _parse_email(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        email = _parse_email(d.pop("email"))

        def _parse_external_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        external_id = _parse_external_id(d.pop("external_id"))

        def _parse_company(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        company = _parse_company(d.pop("company"))

        def _parse_job_title(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        job_title = _parse_job_title(d.pop("job_title"))

        def _parse_status(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        status = _parse_status(d.pop("status"))

        def _parse_country(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        country = _parse_country(d.pop("country"))

        def _parse_language(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        language = _parse_language(d.pop("language"))

        def _parse_avatar_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        avatar_url = _parse_avatar_url(d.pop("avatar_url"))

        source = d.pop("source")

        tags = cast(list[str], d.pop("tags"))

        custom_fields = ContactCustomFields.from_dict(d.pop("custom_fields"))

        handles = Handles.from_dict(d.pop("handles"))

        preferences = Preferences.from_dict(d.pop("preferences"))

        suppressed = d.pop("suppressed")

        def _parse_suppressed_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        suppressed_reason = _parse_suppressed_reason(d.pop("suppressed_reason"))

        created_at = d.pop("created_at")

        updated_at = d.pop("updated_at")

        def _parse_deleted_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        deleted_at = _parse_deleted_at(d.pop("deleted_at"))

        version = d.pop("version")

        contact = cls(
            id=id,
            first_name=first_name,
            last_name=last_name,
            name=name,
            phone=phone,
            email=email,
            external_id=external_id,
            company=company,
            job_title=job_title,
            status=status,
            country=country,
            language=language,
            avatar_url=avatar_url,
            source=source,
            tags=tags,
            custom_fields=custom_fields,
            handles=handles,
            preferences=preferences,
            suppressed=suppressed,
            suppressed_reason=suppressed_reason,
            created_at=created_at,
            updated_at=updated_at,
            deleted_at=deleted_at,
            version=version,
        )

        contact.additional_properties = d
        return contact

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
