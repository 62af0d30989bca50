from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.batch_body_match_on_type_0 import BatchBodyMatchOnType0
from ..models.batch_body_mode import BatchBodyMode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_body_contacts_item import BatchBodyContactsItem


T = TypeVar("T", bound="BatchBody")


@_attrs_define
class BatchBody:
    """
    Attributes:
        contacts (list[BatchBodyContactsItem]): Contacts as for POST /v1/contacts
        mode (BatchBodyMode | Unset): create: every item is new; upsert: match, then update Default:
            BatchBodyMode.UPSERT.
        match_on (BatchBodyMatchOnType0 | None | Unset): Identifier to match on; default per item: the first present of
            phone, email, external_id
    """

    contacts: list[BatchBodyContactsItem]
    mode: BatchBodyMode | Unset = BatchBodyMode.UPSERT
    match_on: BatchBodyMatchOnType0 | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        contacts = []
        for contacts_item_data in self.contacts:
            contacts_item = contacts_item_data.to_dict()
            contacts.append(contacts_item)

        mode: str | Unset = UNSET
        if not isinstance(self.mode, Unset):
            mode = self.mode.value

        match_on: None | str | Unset
        if isinstance(self.match_on, Unset):
            match_on = UNSET
        elif isinstance(self.match_on, BatchBodyMatchOnType0):
            match_on = self.match_on.value
        else:
            match_on = self.match_on

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "contacts": contacts,
            }
        )
        if mode is not UNSET:
            field_dict["mode"] = mode
        if match_on is not UNSET:
            field_dict["match_on"] = match_on

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.batch_body_contacts_item import BatchBodyContactsItem

        d = dict(src_dict)
        contacts = []
        _contacts = d.pop("contacts")
        for contacts_item_data in _contacts:
            contacts_item = BatchBodyContactsItem.from_dict(contacts_item_data)

            contacts.append(contacts_item)

        _mode = d.pop("mode", UNSET)
        mode: BatchBodyMode | Unset
        if isinstance(_mode, Unset):
            mode = UNSET
        else:
            mode = BatchBodyMode(_mode)

        def _parse_match_on(data: object) -> BatchBodyMatchOnType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                match_on_type_0 = BatchBodyMatchOnType0(data)

                return match_on_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(BatchBodyMatchOnType0 | None | Unset, data)

        match_on = _parse_match_on(d.pop("match_on", UNSET))

        batch_body = cls(
            contacts=contacts,
            mode=mode,
            match_on=match_on,
        )

        return batch_body
