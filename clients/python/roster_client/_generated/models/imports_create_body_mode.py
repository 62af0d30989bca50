from enum import StrEnum


class ImportsCreateBodyMode(StrEnum):
    CREATE = "create"
    EMPTY = ""
    UPDATE_ONLY = "update_only"
    UPSERT = "upsert"

    def __str__(self) -> str:
        return str(self.value)
