from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.contact_write_custom_fields import ContactWriteCustomFields
    from ..models.contact_write_handles import ContactWriteHandles
    from ..models.contact_write_preferences import ContactWritePreferences


T = TypeVar("T", bound="ContactWrite")


@_attrs_define
class ContactWrite:
    """Fields a client may write. On PATCH/PUT every field is optional and ``null`` clears
    (fields that always have a value refuse null).

        Attributes:
            first_name (None | str | Unset):
            last_name (None | str | Unset):
            name (None | str | Unset): Display name; when not given it reads as first_name + ' ' + last_name
            phone (None | str | Unset): Any common format; stored as E.164
            email (None | str | Unset):
            external_id (None | str | Unset):
            company (None | str | Unset):
            job_title (None | str | Unset):
            status (None | str | Unset):
            country (None | str | Unset): ISO 3166-1 alpha-2
            language (None | str | Unset): BCP 47 tag
            avatar_url (None | str | Unset):
            source (str | Unset):
            tags (list[str] | Unset):
            custom_fields (ContactWriteCustomFields | Unset): Merged key by key; null removes a key. At most 100 keys and 16
                KiB of JSON after the merge; a key with a field definition takes values of its type
            handles (ContactWriteHandles | Unset): Per channel: a phone number (whatsapp, viber, rcs), a username with or
                without @ (telegram, instagram) or an id (messenger); null removes it
            preferences (ContactWritePreferences | Unset):
            suppressed (bool | Unset):
            suppressed_reason (None | str | Unset):
    """

    first_name: None | str | Unset = UNSET
    last_name: None | str | Unset = UNSET
    name: None | str | Unset = UNSET
    phone: None | str | Unset = UNSET
    email: None | str | Unset = UNSET
    external_id: None | str | Unset = UNSET
    company: None | str | Unset = UNSET
    job_title: None | str | Unset = UNSET
    status: None | str | Unset = UNSET
    country: None | str | Unset = UNSET
    language: None | str | Unset = UNSET
    avatar_url: None | str | Unset = UNSET
    source: str | Unset = UNSET
    tags: list[str] | Unset = UNSET
    custom_fields: ContactWriteCustomFields | Unset = UNSET
    handles: ContactWriteHandles | Unset = UNSET
    preferences: ContactWritePreferences | Unset = UNSET
    suppressed: bool | Unset = UNSET
    suppressed_reason: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        first_name: None | str | Unset
        if isinstance(self.first_name, Unset):
            first_name = UNSET
        else:
            first_name = self.first_name

        last_name: None | str | Unset
        if isinstance(self.last_name, Unset):
            last_name = UNSET
        else:
            last_name = self.last_name

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        phone: None | str | Unset
        if isinstance(self.phone, Unset):
            phone = UNSET
        else:
            phone = self.phone

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        external_id: None | str | Unset
        if isinstance(self.external_id, Unset):
            external_id = UNSET
        else:
            external_id = self.external_id

        company: None | str | Unset
        if isinstance(self.company, Unset):
            company = UNSET
        else:
            company = self.company

        job_title: None | str | Unset
        if isinstance(self.job_title, Unset):
            job_title = UNSET
        else:
            job_title = self.job_title

        status: None | str | Unset
        if isinstance(self.status, Unset):
            status = UNSET
        else:
            status = self.status

        country: None | str | Unset
        if isinstance(self.country, Unset):
            country = UNSET
        else:
            country = self.country

        language: None | str | Unset
        if isinstance(self.language, Unset):
            language = UNSET
        else:
            language = self.language

        avatar_url: None | str | Unset
        if isinstance(self.avatar_url, Unset):
            avatar_url = UNSET
        else:
            avatar_url = self.avatar_url

        source = self.source

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        custom_fields: dict[str, Any] | Unset = UNSET
        if not isinstance(self.custom_fields, Unset):
            custom_fields = self.custom_fields.to_dict()

        handles: dict[str, Any] | Unset = UNSET
        if not isinstance(self.handles, Unset):
            handles = self.handles.to_dict()

        preferences: dict[str, Any] | Unset = UNSET
        if not isinstance(self.preferences, Unset):
            preferences = self.preferences.to_dict()

        suppressed = self.suppressed

        suppressed_reason: None | str | Unset
        if isinstance(self.suppressed_reason, Unset):
            suppressed_reason = UNSET
        else:
            suppressed_reason = self.suppressed_reason

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if first_name is not UNSET:
            field_dict["first_name"] = first_name
        if last_name is not UNSET:
            field_dict["last_name"] = last_name
        if name is not UNSET:
            field_dict["name"] = name
        if phone is not UNSET:
            field_dict["phone"] = phone
        if email is not UNSET:
            field_dict["email"] = email
        if external_id is not UNSET:
            field_dict["external_id"] = external_id
        if company is not UNSET:
            field_dict["company"] = company
        if job_title is not UNSET:
            field_dict["job_title"] = job_title
        if status is not UNSET:
            field_dict["status"] = status
        if country is not UNSET:
            field_dict["country"] = country
        if language is not UNSET:
            field_dict["language"] = language
        if avatar_url is not UNSET:
            field_dict["avatar_url"] = avatar_url
        if source is not UNSET:
            field_dict["source"] = source
        if tags is not UNSET:
            field_dict["tags"] = tags
        if custom_fields is not UNSET:
            field_dict["custom_fields"] = custom_fields
        if handles is not UNSET:
            field_dict["handles"] = handles
        if preferences is not UNSET:
            field_dict["preferences"] = preferences
        if suppressed is not UNSET:
            field_dict["suppressed"] = suppressed
        if suppressed_reason is not UNSET:
            field_dict["suppressed_reason"] = suppressed_reason

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.contact_write_custom_fields import ContactWriteCustomFields
        from ..models.contact_write_handles import ContactWriteHandles
        from ..models.contact_write_preferences import ContactWritePreferences

        d = dict(src_dict)

        def _parse_first_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        first_name = _parse_first_name(d.pop("first_name", UNSET))

        def _parse_last_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_name = _parse_last_name(d.pop("last_name", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_phone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone = _parse_phone(d.pop("phone", UNSET))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_external_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        external_id = _parse_external_id(d.pop("external_id", UNSET))

        def _parse_company(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        company = _parse_company(d.pop("company", UNSET))

        def _parse_job_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        job_title = _parse_job_title(d.pop("job_title", UNSET))

        def _parse_status(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        status = _parse_status(d.pop("status", UNSET))

        def _parse_country(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        country = _parse_country(d.pop("country", UNSET))

        def _parse_language(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        language = _parse_language(d.pop("language", UNSET))

        def _parse_avatar_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        avatar_url = _parse_avatar_url(d.pop("avatar_url", UNSET))

        source = d.pop("source", UNSET)

        tags = cast(list[str], d.pop("tags", UNSET))

        _custom_fields = d.pop("custom_fields", UNSET)
        custom_fields: ContactWriteCustomFields | Unset
        if isinstance(_custom_fields, Unset):
            custom_fields = UNSET
        else:
            custom_fields = ContactWriteCustomFields.from_dict(_custom_fields)

        _handles = d.pop("handles", UNSET)
        handles: ContactWriteHandles | Unset
        if isinstance(_handles, Unset):
            handles = UNSET
        else:
            handles = ContactWriteHandles.from_dict(_handles)

        _preferences = d.pop("preferences", UNSET)
        preferences: ContactWritePreferences | Unset
        if isinstance(_preferences, Unset):
            preferences = UNSET
        else:
            preferences = ContactWritePreferences.from_dict(_preferences)

        suppressed = d.pop("suppressed", UNSET)

        def _parse_suppressed_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        suppressed_reason = _parse_suppressed_reason(d.pop("suppressed_reason", UNSET))

        contact_write = cls(
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
        )

        return contact_write
