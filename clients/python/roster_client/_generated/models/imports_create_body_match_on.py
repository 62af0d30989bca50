from enum import StrEnum


class ImportsCreateBodyMatchOn(StrEnum):
    EMAIL = "email"
    EMPTY = ""
    EXTERNAL_ID = "external_id"
    PHONE = "phone"

    def __str__(self) -> str:
        return str(self.value)
