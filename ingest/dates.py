"""Date parsing: the only importer of dateparser, with its settings fixed here."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import dateparser

_SETTINGS = {
    "PREFER_DAY_OF_MONTH": "first",
    "REQUIRE_PARTS": ["month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": False,
}
_LANGUAGES = ["en"]
_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_MONTH_NAMES = "|".join(month.capitalize() for month in _MONTHS)
# A month, or a day, written in full in these years is read without dateparser (its
# answer would be the same, at a hundredth of the cost).
_PLAIN_YEARS = range(1900, 2101)
_MONTH_DAY_YEAR = re.compile(rf"({_MONTH_NAMES})\s+([0-9]{{1,2}}),?\s+([0-9]{{4}})", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH_YEAR = re.compile(rf"\b({_MONTH_NAMES})\s+(\d{{4}})\b", re.IGNORECASE)
_EXPECTED = re.compile(
    r"Expected\s+completion(?:\s+date)?(?:\s+is)?\s*:?\s*"
    rf"((?:{_MONTH_NAMES})\s+\d{{1,2}},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})",
    re.IGNORECASE,
)


def warm_up() -> None:
    """Load dateparser's language data now (its first parse costs a few tenths of a second)."""
    dateparser.parse("November 30, 2017", languages=_LANGUAGES, settings=_SETTINGS)


@lru_cache(maxsize=4096)
def parse_date(text: str) -> str | None:
    """Parse a due date as written in a report ('2017-05-31', 'November 30, 2017') to ISO."""
    cleaned = re.sub(r"\s+", "", text) if re.fullmatch(r"[\d\s-]+", text or "") else text
    cleaned = (cleaned or "").strip()
    if not cleaned:
        return None
    iso = _ISO_DATE.match(cleaned)
    if iso:
        try:
            return date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat()
        except ValueError:
            return None
    plain = _MONTH_DAY_YEAR.fullmatch(cleaned)
    if plain and int(plain[3]) in _PLAIN_YEARS:
        try:
            return date(int(plain[3]), _month(plain[1]), int(plain[2])).isoformat()
        except ValueError:
            pass  # dateparser decides
    parsed = dateparser.parse(cleaned, languages=_LANGUAGES, settings=_SETTINGS)
    return parsed.date().isoformat() if parsed else None


def _month(name: str) -> int:
    return _MONTHS.index(name.lower()) + 1


@lru_cache(maxsize=4096)
def parse_month(text: str) -> str | None:
    """Find the report month ('October 2017', '2017-10') in a line of text; 'YYYY-MM' or None."""
    if not text:
        return None
    named = _MONTH_YEAR.search(text)
    if named and named[2].isascii() and int(named[2]) in _PLAIN_YEARS:
        return f"{named[2]}-{_month(named[1]):02d}"
    if named:
        parsed = dateparser.parse(
            f"{named[1]} {named[2]}", languages=_LANGUAGES, settings=_SETTINGS
        )
        return f"{parsed.year:04d}-{parsed.month:02d}" if parsed else None
    numeric = re.search(r"(?<!\d)(20\d{2}|19\d{2})[-_. ]?(0[1-9]|1[0-2])(?!\d)", text)
    if numeric:
        return f"{numeric[1]}-{numeric[2]}"
    return None


def expected_completion(note: str) -> str | None:
    """The 'Expected completion (date is) <date>' inside a milestone note, as ISO, or None."""
    match = _EXPECTED.search(note or "")
    return parse_date(match[1]) if match else None
