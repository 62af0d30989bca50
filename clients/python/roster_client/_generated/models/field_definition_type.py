from enum import StrEnum


class FieldDefinitionType(StrEnum):
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    EMAIL = "email"
    ENUM = "enum"
    NUMBER = "number"
    PHONE = "phone"
    TEXT = "text"
    URL = "url"

    def __str__(self) -> str:
        return str(self.value)
