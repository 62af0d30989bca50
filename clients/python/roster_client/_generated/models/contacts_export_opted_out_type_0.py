from enum import StrEnum


class ContactsExportOptedOutType0(StrEnum):
    EMAIL = "email"
    RCS = "rcs"
    SMS = "sms"
    VIBER = "viber"
    VOICE = "voice"
    WHATSAPP = "whatsapp"

    def __str__(self) -> str:
        return str(self.value)
