"""A seeded generator of realistic contacts.

Each record comes as the client would send it (``raw``: phones in many regions and formats,
mixed-case emails) and, unless it is one of the ~1 % invalid rows, as the column values
Roster stores (``row``: E.164 phone, normalised email, derived search columns). About 1.5 %
of records repeat an earlier person with the phone in another format and the email in other
case (duplicates for upsert/import scenarios). Same seed, same records.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from roster.contacts import fields
from roster.contacts.query import derived
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS

# (region, country calling code, national mobile prefixes, national number length)
REGIONS = [
    ("US", "1", ["415", "212", "646", "305", "512", "206", "617"], 10),
    ("GB", "44", ["7700", "7911", "7456", "7824"], 10),
    ("DE", "49", ["151", "160", "170", "176"], 11),
    ("FR", "33", ["6", "7"], 9),
    ("BR", "55", ["11 9", "21 9", "31 9"], 11),
    ("IN", "91", ["98", "97", "91", "70"], 10),
    ("NG", "234", ["803", "806", "813", "703"], 10),
    ("MX", "52", ["55", "33", "81"], 10),
    ("ES", "34", ["6", "7"], 9),
    ("IT", "39", ["32", "33", "34", "35"], 10),
    ("AU", "61", ["4"], 9),
    ("ZA", "27", ["82", "83", "72", "71"], 9),
    ("KE", "254", ["7"], 9),
    ("ID", "62", ["812", "813", "857"], 11),
    ("PH", "63", ["917", "918", "927"], 10),
    ("JP", "81", ["90", "80", "70"], 10),
]
FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Maria",
    "Jose",
    "Ana",
    "Juan",
    "Luis",
    "Carmen",
    "Sofia",
    "Mateo",
    "Lucia",
    "Pedro",
    "Camila",
    "Diego",
    "Valentina",
    "Mohammed",
    "Fatima",
    "Ahmed",
    "Aisha",
    "Omar",
    "Priya",
    "Rahul",
    "Ananya",
    "Arjun",
    "Deepika",
    "Chinedu",
    "Ngozi",
    "Emeka",
    "Amara",
    "Yuki",
    "Haruto",
    "Sakura",
    "Hiroshi",
    "Emma",
    "Lukas",
    "Mia",
    "Leon",
    "Hannah",
    "Felix",
    "Chloe",
    "Louis",
    "Manon",
    "Hugo",
    "Giulia",
    "Marco",
    "Francesca",
    "Wei",
    "Li",
    "Mei",
    "Jun",
    "Oluwaseun",
    "Thabo",
    "Lerato",
    "Wanjiru",
    "Kamau",
    "Siti",
    "Budi",
    "Dewi",
    "Jasmine",
    "Noah",
    "Olivia",
    "Liam",
    "Ava",
    "Ethan",
    "Isabella",
    "Lucas",
    "Zoe",
    "Émilie",
    "Søren",
    "Zoë",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Pereira",
    "Kumar",
    "Sharma",
    "Patel",
    "Singh",
    "Gupta",
    "Okafor",
    "Adeyemi",
    "Okonkwo",
    "Eze",
    "Nwosu",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Watanabe",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Dubois",
    "Moreau",
    "Laurent",
    "Bernard",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Wang",
    "Zhang",
    "Liu",
    "Chen",
    "Nkosi",
    "Dlamini",
    "Mwangi",
    "Otieno",
    "Wijaya",
    "Santoso",
    "O'Brien",
    "García",
    "Núñez",
]
DOMAINS = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "proton.me",
    "web.de",
    "orange.fr",
]
COMPANY_A = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Cyberdyne",
]
COMPANY_B = [
    "Labs",
    "Systems",
    "Holdings",
    "Group",
    "Partners",
    "Logistics",
    "Foods",
    "Media",
    "Health",
    "Bank",
]
TOPICS = [
    "newsletter",
    "promo",
    "vip",
    "beta",
    "churn-risk",
    "webinar",
    "trial",
    "partner",
    "wholesale",
    "retail",
    "event",
    "referral",
    "support",
    "billing",
    "onboarding",
    "survey",
    "loyalty",
    "holiday",
    "spring",
    "summer",
]
QUALIFIERS = ["2024", "2025", "2026", "eu", "us", "latam", "apac", "gold", "silver", "bronze"]
TAGS = [f"{t}-{q}" for t in TOPICS for q in QUALIFIERS]  # 200 tags
STATUSES = ["lead"] * 5 + ["customer"] * 3 + ["churned"]
SOURCES = ["api"] * 4 + ["import"] * 3 + ["web", "whatsapp"]
CUSTOM_KEYS = ["plan", "lifetime_value", "is_vip", "score", "city", "referrer", "seats", "tier"]
START = datetime(2024, 1, 1, tzinfo=UTC)

assert len(TAGS) == 200


@dataclass
class Record:
    raw: dict[str, Any]
    row: dict[str, Any] | None  # stored columns; None for invalid rows and duplicates
    kind: str = "ok"  # "ok" | "invalid" | "duplicate"


def _phone(rnd: random.Random) -> tuple[str, str, str]:
    """(region, E.164, the number as a person might have typed it)."""
    region, code, prefixes, length = rnd.choice(REGIONS)
    prefix = rnd.choice(prefixes).replace(" ", "")
    national = prefix + "".join(rnd.choice("0123456789") for _ in range(length - len(prefix)))
    e164 = f"+{code}{national}"
    style = rnd.randrange(6)
    if style == 0:
        typed = e164
    elif style == 1:
        typed = f"+{code} {national[:3]} {national[3:6]} {national[6:]}"
    elif style == 2:
        typed = f"00{code}{national}"
    elif style == 3:
        typed = f"+{code}-{national[:3]}-{national[3:]}"
    elif style == 4 and code == "1":
        typed = f"({national[:3]}) {national[3:6]}-{national[6:]}"
    else:
        typed = f"+{code} ({national[:2]}) {national[2:]}"
    return region, e164, typed


def _custom(rnd: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in rnd.sample(CUSTOM_KEYS, rnd.randint(0, 8)):
        out[key] = {
            "plan": lambda: rnd.choice(["free", "pro", "enterprise"]),
            "lifetime_value": lambda: rnd.randint(0, 20000),
            "is_vip": lambda: rnd.random() < 0.1,
            "score": lambda: round(rnd.random() * 100, 1),
            "city": lambda: rnd.choice(["Lagos", "Paris", "São Paulo", "Austin", "Pune", "Osaka"]),
            "referrer": lambda: rnd.choice(["google", "friend", "ad", "partner"]),
            "seats": lambda: rnd.randint(1, 500),
            "tier": lambda: rnd.choice(["1", "2", "3"]),
        }[key]()
    return out


def _person(rnd: random.Random, n: int) -> tuple[dict[str, Any], str, str]:
    first, last = rnd.choice(FIRST), rnd.choice(LAST)
    region, e164, typed = _phone(rnd)
    local = f"{first}.{last}{n}".lower().replace("'", "").replace(" ", "")
    email = f"{local}@{rnd.choice(DOMAINS)}"
    raw: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "phone": typed,
        "email": email if rnd.random() < 0.85 else None,
        "company": f"{rnd.choice(COMPANY_A)} {rnd.choice(COMPANY_B)}"
        if rnd.random() < 0.6
        else None,
        "status": rnd.choice(STATUSES),
        "source": rnd.choice(SOURCES),
        "country": region,
        "tags": rnd.sample(TAGS, rnd.randint(0, 5)),
        "custom_fields": _custom(rnd),
    }
    if rnd.random() < 0.05:
        raw["preferences"] = {rnd.choice(PREFERENCE_CHANNELS): "opted_out"}
    return raw, e164, email


def _row(raw: dict[str, Any], e164: str, email: str | None, at: datetime) -> dict[str, Any]:
    """The stored column values (what fields.apply would produce, without its cost)."""
    row = fields.blank()
    row.update({k: raw[k] for k in ("first_name", "last_name", "company", "status", "source")})
    row.update(
        name=f"{raw['first_name']} {raw['last_name']}",
        phone=e164,
        email=email,
        email_key=email.lower() if email else None,
        country=raw["country"],
        tags=sorted(raw["tags"]),
        custom_fields=raw["custom_fields"],
    )
    for channel, state in (raw.get("preferences") or {}).items():
        row[f"pref_{channel}"] = state
    for channel in HANDLE_CHANNELS:
        row.setdefault(f"handle_{channel}", None)
    row.update(
        created_at=at,
        updated_at=at,
        deleted_at=None,
        version=1,
    )
    row.update(derived(row))
    return row


def _uuid7(at: datetime, rnd: random.Random) -> uuid.UUID:
    ms = int(at.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rnd.getrandbits(12) << 64) | (0b10 << 62)
    return uuid.UUID(int=value | rnd.getrandbits(62))


def records(count: int, seed: int = 42) -> Iterator[Record]:
    """``count`` records; row timestamps spread over two years, ids time-ordered."""
    rnd = random.Random(seed)
    step = (timedelta(days=730) / max(count, 1)).total_seconds()
    earlier: list[tuple[dict[str, Any], str, str]] = []
    for n in range(count):
        at = START + timedelta(seconds=n * step)
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)
        roll = rnd.random()
        if roll < 0.01:
            raw, _, _ = _person(rnd, n)
            raw["phone"] = rnd.choice(["12345", "+999 000", "call me", "+1 555"])
            raw["email"] = rnd.choice([None, "not-an-email", "a@@b"])
            yield Record(raw, None, "invalid")
            continue
        if roll < 0.025 and earlier:
            raw, e164, email = rnd.choice(earlier)
            dup = dict(raw, phone=e164, email=(raw["email"] or "").upper() or None)
            yield Record(dup, None, "duplicate")
            continue
        raw, e164, email = _person(rnd, n)
        if len(earlier) < 5000:
            earlier.append((raw, e164, email))
        row = _row(raw, e164, raw["email"], at)
        row["id"] = _uuid7(at, rnd)
        yield Record(raw, row)
