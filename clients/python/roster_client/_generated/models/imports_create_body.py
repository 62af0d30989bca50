from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from .. import types
from ..models.imports_create_body_match_on import ImportsCreateBodyMatchOn
from ..models.imports_create_body_mode import ImportsCreateBodyMode
from ..types import UNSET, File, Unset

T = TypeVar("T", bound="ImportsCreateBody")


@_attrs_define
class ImportsCreateBody:
    """
    Attributes:
        file (File):
        mapping (str | Unset):
        mode (ImportsCreateBodyMode | Unset):
        match_on (ImportsCreateBodyMatchOn | Unset):
        default_country (str | Unset):
        tags (str | Unset):
        list_id (str | Unset | UUID):
        tags_separator (str | Unset):
    """

    file: File
    mapping: str | Unset = UNSET
    mode: ImportsCreateBodyMode | Unset = UNSET
    match_on: ImportsCreateBodyMatchOn | Unset = UNSET
    default_country: str | Unset = UNSET
    tags: str | Unset = UNSET
    list_id: str | Unset | UUID = UNSET
    tags_separator: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        file = self.file.to_tuple()

        mapping = self.mapping

        mode: str | Unset = UNSET
        if not isinstance(self.mode, Unset):
            mode = self.mode.value

        match_on: str | Unset = UNSET
        if not isinstance(self.match_on, Unset):
            match_on = self.match_on.value

        default_country: str | Unset
        if isinstance(self.default_country, Unset):
            default_country = UNSET
        else:
            default_country = self.default_country

        tags = self.tags

        list_id: str | Unset
        if isinstance(self.list_id, Unset):
            list_id = UNSET
        elif isinstance(self.list_id, UUID):
            list_id = str(self.list_id)
        else:
            list_id = self.list_id

        tags_separator = self.tags_separator

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "file": file,
            }
        )
        if mapping is not UNSET:
            field_dict["mapping"] = mapping
        if mode is not UNSET:
            field_dict["mode"] = mode
        if match_on is not UNSET:
            field_dict["match_on"] = match_on
        if default_country is not UNSET:
            field_dict["default_country"] = default_country
        if tags is not UNSET:
            field_dict["tags"] = tags
        if list_id is not UNSET:
            field_dict["list_id"] = list_id
        if tags_separator is not UNSET:
            field_dict["tags_separator"] = tags_separator

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("file", self.file.to_tuple()))

        if not isinstance(self.mapping, Unset):
            files.append(("mapping", (None, str(self.mapping).encode(), "text/plain")))

        if not isinstance(self.mode, Unset):
            files.append(("mode", (None, str(self.mode.value).encode(), "text/plain")))

        if not isinstance(self.match_on, Unset):
            files.append(
                ("match_on", (None, str(self.match_on.value).encode(), "text/plain"))
            )

        if not isinstance(self.default_country, Unset):
            if isinstance(self.default_country, str):
                files.append(
                    (
                        "default_country",
                        (None, str(self.default_country).encode(), "text/plain"),
                    )
                )

        if not isinstance(self.tags, Unset):
            files.append(("tags", (None, str(self.tags).encode(), "text/plain")))

        if not isinstance(self.list_id, Unset):
            if isinstance(self.list_id, str):
                files.append(
                    ("list_id", (None, str(self.list_id).encode(), "text/plain"))
                )
            else:
                files.append(("list_id", (None, str(self.list_id), "text/plain")))

        if not isinstance(self.tags_separator, Unset):
            files.append(
                (
                    "tags_separator",
                    (None, str(self.tags_separator).encode(), "text/plain"),
                )
            )

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        file = File(payload=BytesIO(d.pop("file")))

        mapping = d.pop("mapping", UNSET)

        _mode = d.pop("mode", UNSET)
        mode: ImportsCreateBodyMode | Unset
        if isinstance(_mode, Unset):
            mode = UNSET
        else:
            mode = ImportsCreateBodyMode(_mode)

        _match_on = d.pop("match_on", UNSET)
        match_on: ImportsCreateBodyMatchOn | Unset
        if isinstance(_match_on, Unset):
            match_on = UNSET
        else:
            match_on = ImportsCreateBodyMatchOn(_match_on)

        def _parse_default_country(data: object) -> str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(str | Unset, data)

        default_country = _parse_default_country(d.pop("default_country", UNSET))

        tags = d.pop("tags", UNSET)

        def _parse_list_id(data: object) -> str | Unset | UUID:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                list_id_type_1 = UUID(data)

                return list_id_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(str | Unset | UUID, data)

        list_id = _parse_list_id(d.pop("list_id", UNSET))

        tags_separator = d.pop("tags_separator", UNSET)

        imports_create_body = cls(
            file=file,
            mapping=mapping,
            mode=mode,
            match_on=match_on,
            default_country=default_country,
            tags=tags,
            list_id=list_id,
            tags_separator=tags_separator,
        )

        return imports_create_body
