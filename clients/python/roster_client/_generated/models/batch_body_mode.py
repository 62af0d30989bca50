from enum import StrEnum


class BatchBodyMode(StrEnum):
    CREATE = "create"
    UPSERT = "upsert"

    def __str__(self) -> str:
        return str(self.value)
