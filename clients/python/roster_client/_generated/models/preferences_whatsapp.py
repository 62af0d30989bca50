from enum import StrEnum


class PreferencesWhatsapp(StrEnum):
    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return str(self.value)
