from enum import StrEnum


class ApiKeyCreateScopesItem(StrEnum):
    ADMIN = "admin"
    CONTACTSREAD = "contacts:read"
    CONTACTSWRITE = "contacts:write"

    def __str__(self) -> str:
        return str(self.value)
