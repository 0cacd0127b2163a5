"""Who the demo customers are: names, emails, phones, countries and birthdays.

Emails use only the domains reserved for examples (RFC 2606), and phone numbers use the
ranges regulators reserve for fiction where one exists (US/CA 555-01xx, UK Ofcom drama
numbers, Australia 5550, France ARCEP), so no demo message can reach a real person.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from customers.demo.names import COUNTRIES, CULTURES
from customers.demo.sampling import WeightedChoice

EMAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("example.com", 0.6),
    ("example.org", 0.2),
    ("example.net", 0.2),
)
PHONE_RATE = 0.6
BIRTHDAY_RATE = 0.3

# "#" is a random digit. Where no fictional range exists the shape is the national one.
PHONE_PATTERNS: dict[str, tuple[str, ...]] = {
    "US": ("+1 212-555-01##", "+1 415-555-01##", "+1 312-555-01##", "+1 617-555-01##"),
    "CA": ("+1 416-555-01##", "+1 604-555-01##", "+1 514-555-01##"),
    "GB": ("+44 7700 900###", "+44 20 7946 0###", "+44 161 496 0###"),
    "AU": ("+61 2 5550 ####", "+61 3 5550 ####", "+61 7 5550 ####"),
    "FR": ("+33 1 99 00 ## ##", "+33 6 39 98 ## ##"),
    "DE": ("+49 30 ########", "+49 15# ########"),
    "NL": ("+31 6 ########",),
    "IE": ("+353 8# ### ####",),
    "SE": ("+46 7# ### ## ##",),
    "ES": ("+34 6## ### ###",),
    "IT": ("+39 3## ### ####",),
    "BE": ("+32 4## ## ## ##",),
    "CH": ("+41 7# ### ## ##",),
    "AT": ("+43 6## #######",),
    "DK": ("+45 ## ## ## ##",),
    "NO": ("+47 ### ## ###",),
    "PL": ("+48 ### ### ###",),
    "JP": ("+81 90-####-####",),
    "NZ": ("+64 2# ### ####",),
    "SG": ("+65 9### ####",),
    "KR": ("+82 10-####-####",),
    "IN": ("+91 9#### #####",),
}

# How people pick addresses: mostly from their name, some with a number or birth year.
EMAIL_TEMPLATES: tuple[tuple[str, float], ...] = (
    ("{first}.{last}", 0.32),
    ("{first}{last}", 0.12),
    ("{initial}.{last}", 0.08),
    ("{initial}{last}", 0.08),
    ("{first}_{last}", 0.06),
    ("{last}.{first}", 0.05),
    ("{first}.{last}{number}", 0.17),
    ("{first}{year}", 0.12),
)
_EMAIL_TEMPLATE_CHOICE = WeightedChoice([weight for _, weight in EMAIL_TEMPLATES])

# Letters NFKD does not decompose into an ASCII letter plus accents.
_ASCII = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "ı": "i", "đ": "d"})


@dataclass(frozen=True, slots=True)
class Person:
    """The identity of one customer; ``phone`` may be "" and ``birthday`` None."""

    first_name: str
    last_name: str
    email: str
    phone: str
    country: str
    birthday: date | None


def make_people(rng: np.random.Generator, count: int, *, as_of: date) -> list[Person]:
    """``count`` people with unique lower-case emails, in draw order (deterministic)."""
    countries = WeightedChoice([c.weight for c in COUNTRIES])
    cultures = [WeightedChoice([share for _, share in c.cultures]) for c in COUNTRIES]
    domains = WeightedChoice([weight for _, weight in EMAIL_DOMAINS])
    taken: set[str] = set()
    people = []
    for _ in range(count):
        country_index = countries.draw(rng)
        country = COUNTRIES[country_index]
        culture = CULTURES[country.cultures[cultures[country_index].draw(rng)][0]]
        first = culture.first_names[int(rng.integers(len(culture.first_names)))]
        last = culture.last_names[int(rng.integers(len(culture.last_names)))]
        birthday = _birthday(rng, as_of) if rng.random() < BIRTHDAY_RATE else None
        domain = EMAIL_DOMAINS[domains.draw(rng)][0]
        email = _unique_email(rng, (first, last, birthday), domain, taken)
        phone = _phone(rng, country.code) if rng.random() < PHONE_RATE else ""
        people.append(Person(first, last, email, phone, country.code, birthday))
    return people


def ascii_slug(name: str) -> str:
    """``name`` as lower-case ASCII letters only: "O'Brien" -> "obrien", "Jürgen" -> "jurgen"."""
    decomposed = unicodedata.normalize("NFKD", name.lower().translate(_ASCII))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalpha())


def _unique_email(
    rng: np.random.Generator, person: tuple[str, str, date | None], domain: str, taken: set[str]
) -> str:
    first, last, birthday = person
    first_slug = ascii_slug(first)
    template = EMAIL_TEMPLATES[_EMAIL_TEMPLATE_CHOICE.draw(rng)][0]
    number = int(rng.integers(1, 100))
    year = birthday.year if birthday else int(rng.integers(1950, 2005))
    local = template.format(
        first=first_slug,
        last=ascii_slug(last),
        initial=first_slug[0],
        number=number,
        year=f"{year % 100:02d}",
    )
    email = f"{local}@{domain}"
    suffix = 2
    while email in taken:
        email = f"{local}{suffix}@{domain}"
        suffix += 1
    taken.add(email)
    return email


def _phone(rng: np.random.Generator, country: str) -> str:
    patterns = PHONE_PATTERNS[country]
    pattern = patterns[int(rng.integers(len(patterns)))]
    digits = iter(rng.integers(0, 10, pattern.count("#")).tolist())
    return "".join(str(next(digits)) if ch == "#" else ch for ch in pattern)


def _birthday(rng: np.random.Generator, as_of: date) -> date:
    # Coffee and tea buyers are mostly 25-60: normal around 41, adults only.
    age_years = float(np.clip(rng.normal(41.0, 13.0), 18.0, 85.0))
    return as_of - timedelta(days=int(age_years * 365.25))
