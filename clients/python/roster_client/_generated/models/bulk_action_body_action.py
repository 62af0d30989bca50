from enum import StrEnum


class BulkActionBodyAction(StrEnum):
    ADD_TAGS = "add_tags"
    ADD_TO_LIST = "add_to_list"
    ARCHIVE = "archive"
    REMOVE_FROM_LIST = "remove_from_list"
    REMOVE_TAGS = "remove_tags"
    SET_FIELDS = "set_fields"

    def __str__(self) -> str:
        return str(self.value)
