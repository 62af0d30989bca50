from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ApiKeyCreated")


@_attrs_define
class ApiKeyCreated:
    """
    Attributes:
        id (UUID):
        tenant_id (UUID): The tenant the key belongs to (yours)
        name (str):
        prefix (str):
        last_four (str):
        scopes (list[str]):
        rate_limit (None | str):
        created_at (str):
        last_used_at (None | str): Updated at most once a minute
        expires_at (None | str):
        revoked (bool):
        revoked_at (None | str):
        key (str): The secret: shown only in this response
    """

    id: UUID
    tenant_id: UUID
    name: str
    prefix: str
    last_four: str
    scopes: list[str]
    rate_limit: None | str
    created_at: str
    last_used_at: None | str
    expires_at: None | str
    revoked: bool
    revoked_at: None | str
    key: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        tenant_id = str(self.tenant_id)

        name = self.name

        prefix = self.prefix

        last_four = self.last_four

        scopes = self.scopes

        rate_limit: None | str
        rate_limit = self.rate_limit

        created_at = self.created_at

        last_used_at: None | str
        last_used_at = self.last_used_at

        expires_at: None | str
        expires_at = self.expires_at

        revoked = self.revoked

        revoked_at: None | str
        revoked_at = self.revoked_at

        key = self.key

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "tenant_id": tenant_id,
                "name": name,
                "prefix": prefix,
                "last_four": last_four,
                "scopes": scopes,
                "rate_limit": rate_limit,
                "created_at": created_at,
                "last_used_at": last_used_at,
                "expires_at": expires_at,
                "revoked": revoked,
                "revoked_at": revoked_at,
                "key": key,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        tenant_id = UUID(d.pop("tenant_id"))

        name = d.pop("name")

        prefix = d.pop("prefix")

        last_four = d.pop("last_four")

        scopes = cast(list[str], d.pop("scopes"))

        def _parse_rate_limit(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        rate_limit = _parse_rate_limit(d.pop("rate_limit"))

        created_at = d.pop("created_at")

        def _parse_last_used_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_used_at = _parse_last_used_at(d.pop("last_used_at"))

        def _parse_expires_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        expires_at = _parse_expires_at(d.pop("expires_at"))

        revoked = d.pop("revoked")

        def _parse_revoked_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        revoked_at = _parse_revoked_at(d.pop("revoked_at"))

        key = d.pop("key")

        api_key_created = cls(
            id=id,
            tenant_id=tenant_id,
            name=name,
            prefix=prefix,
            last_four=last_four,
            scopes=scopes,
            rate_limit=rate_limit,
            created_at=created_at,
            last_used_at=last_used_at,
            expires_at=expires_at,
            revoked=revoked,
            revoked_at=revoked_at,
            key=key,
        )

        api_key_created.additional_properties = d
        return api_key_created

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
