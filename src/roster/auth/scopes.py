"""The scopes a credential can carry. ``admin`` implies the other two."""

CONTACTS_READ = "contacts:read"
CONTACTS_WRITE = "contacts:write"
ADMIN = "admin"
ALL_SCOPES = (CONTACTS_READ, CONTACTS_WRITE, ADMIN)


def expand(scopes: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    granted = frozenset(s for s in scopes if s in ALL_SCOPES)
    return frozenset(ALL_SCOPES) if ADMIN in granted else granted
