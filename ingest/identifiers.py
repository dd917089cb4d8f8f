"""The one grammar of identifiers and WBS codes.

Every part of the service that recognises an identifier (a JIRA ticket, a milestone,
a document, a technote) or a WBS code derives from the forms written here: the
parser finding identifiers in report text and milestone tables (``ingest/``), the
search analyzer that indexes them as whole tokens (``search/schema.py``), and the
patterns of the API's OpenAPI document (``web/openapi.py``). What one accepts, the
others accept: ``ISO-9001`` is a key for none of them, ``DM_12305`` is ``DM-12305``
for all.

Forms, in the order they are tried (the first that matches the whole key decides its
kind; ``FORMS`` below):

- team milestone ``DM-<TEAM>-N``: DM-NCSA-5, DM-DRP-1, DM-AP-6, DM-SQRE-2 (milestone;
  ``DM-`` and digits is a ticket);
- staffing checkpoint DM-STAFF (milestone);
- milestone of a document ``LDM-503-NN[a-z]``, ``LDM-503-EFDx``: LDM-503-2,
  LDM-503-04b, LDM-503-EFDb (milestone; its document is LDM-503);
- Telescope & Site milestone T&SC-2600-1545, camera milestone CAMM6995, schedule
  placeholder NEWDM1 (milestones);
- numbered key ``PREFIX-N[-N...]``, its kind by prefix: DLP-472, DMTC-7400-2420,
  LSST-1220, COMC-0020 (milestones); LDM-503, LSE-299, LPM-121, LTS-488, DMTR-51
  (documents); DMTN-057, SQR-017, ITTN-010 (technotes); DM-12256, RFC-345, LCR-1051 and
  any other JIRA project (tickets).

Not identifiers: prefixes that name standards and encodings (ISO-9001, UTF-8,
SHA-256, ...), and the project-controls cycle markers (F17S, S18F: the start or finish
of a six-month cycle), which have no hyphen. RFC- (DM's requests for comments) and
LCR- (LSST change requests) are tickets of other JIRA projects: kind ``jira``, linked
to the same JIRA as DM tickets.

Canonical form: upper case, ``_`` between prefix and number read as ``-`` (a writer's
slip), white space from a wrapped table cell dropped (``DMTC-7400-242 0``), the variant
letter of a document milestone in lower case (``LDM-503-04b``, ``LDM-503-EFDb``).

WBS codes: DM's element of the project WBS, ``1.02C`` and below (``1.02C.03.04``),
quoted with or without the project's ``1.`` (``02C.03.04``; without it at least one
level below ``02C``). The canonical form has the ``1.`` and an upper-case letter.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

# --- kinds and links -------------------------------------------------------------

JIRA = "jira"
MILESTONE = "milestone"
DOCUMENT = "document"
TECHNOTE = "technote"
KINDS: tuple[str, ...] = (JIRA, MILESTONE, DOCUMENT, TECHNOTE)

JIRA_BASE_ENV = "DMREPORTS_JIRA_URL"
DEFAULT_JIRA_BASE = "https://rubinobs.atlassian.net/browse/"
DOCUMENT_BASE = "https://ls.st/"
TECHNOTE_URL = "https://{key}.lsst.io"
MILESTONE_PATH = "/milestones/"

# Prefixes of numbered keys, by kind (any other prefix is a JIRA project).
MILESTONE_PREFIXES = frozenset({"DLP", "DMTC", "LSST", "COMC"})
DOCUMENT_PREFIXES = frozenset({"LDM", "LSE", "LPM", "LTS", "DMTR"})
TECHNOTE_PREFIXES = frozenset(
    {"DMTN", "SQR", "ITTN", "PSTN", "RTN", "SITCOMTN", "SMTN", "TSTN", "OPSTN", "CTN", "SCTN"}
)
# Prefixes shaped like a key's that name standards and encodings, not identifiers.
NOT_IDENTIFIERS = frozenset(
    {"UTF", "ISO", "SHA", "COVID", "MD", "CVE", "IPV", "PKCS", "ASCII", "CY", "FY", "RFC822"}
)

# --- the grammar -----------------------------------------------------------------
# Written for upper-case canonical text with only what Python's re and the ECMA
# patterns of JSON Schema share ([0-9], not \d), so one text serves both.

_SEP = "[-_]"  # between prefix and number: "_" is a writer's slip (DM_12305)
_DOCUMENTS = "|".join(sorted(DOCUMENT_PREFIXES))
_PREFIX = "[A-Z][A-Z0-9]{0,9}[A-Z]"


@dataclass(frozen=True)
class Form:
    """One shape of identifier: its pattern (canonical text) and kind (None: by prefix)."""

    name: str
    pattern: str
    kind: str | None
    examples: tuple[str, ...]


FORMS: tuple[Form, ...] = (
    Form(
        "team milestone", f"DM{_SEP}[A-Z]{{2,5}}-[0-9]{{1,3}}", MILESTONE, ("DM-NCSA-5", "DM-AP-6")
    ),
    Form("staffing checkpoint", f"DM{_SEP}STAFF", MILESTONE, ("DM-STAFF",)),
    Form(
        "milestone of a document",
        f"(?:{_DOCUMENTS}){_SEP}[0-9]{{1,4}}-(?:[0-9]{{1,3}}[a-z]?|[A-Z]{{3}}[a-z]?)",
        MILESTONE,
        ("LDM-503-2", "LDM-503-04b", "LDM-503-EFDb"),
    ),
    Form(
        "Telescope & Site milestone",
        f"T&SC{_SEP}[0-9]{{1,6}}(?:-[0-9]{{1,6}})*",
        MILESTONE,
        ("T&SC-2600-1545",),
    ),
    Form("camera milestone", "CAMM[0-9]{4}", MILESTONE, ("CAMM6995",)),
    Form("placeholder milestone", "NEWDM[0-9]{1,3}", MILESTONE, ("NEWDM1",)),
    Form(
        "numbered key",
        f"{_PREFIX}{_SEP}[0-9]{{1,6}}(?:-[0-9]{{1,6}})*",
        None,
        ("DM-12256", "DLP-472", "DMTC-7400-2420", "LDM-503", "DMTN-057"),
    ),
)

_NOT_IDENTIFIER = "(?!(?:{}){})".format("|".join(sorted(NOT_IDENTIFIERS)), _SEP)
# What every form starts with (a prefix, then a separator or a digit): a quick test
# that spares ordinary words the forms one by one.
_KEY_START = "(?=[A-Z][A-Z0-9&]{0,10}[-_0-9])"
# One key, any form (no boundaries, upper case as canonical text writes it).
KEY_PATTERN = _KEY_START + _NOT_IDENTIFIER + "(?:" + "|".join(f.pattern for f in FORMS) + ")"
# A key in running text: not inside a longer word or hyphenated run.
KEY_IN_TEXT = rf"(?<![\w-])(?:{KEY_PATTERN})(?![\w-])"

_WBS_ROOT = "1"
WBS_PATTERN = r"(?:1\.[0-9]{2}[A-Z](?:\.[0-9]{2}){0,4}|[0-9]{2}[A-Z](?:\.[0-9]{2}){1,4})"
# Not inside a longer code or number; a sentence's full stop may follow.
WBS_IN_TEXT = rf"(?<![\w.]){WBS_PATTERN}(?!\w|\.\w)"

# Cycle markers of the project-controls schedule: F17S, S18F (and F22S1).
CYCLE_MARKER_PATTERN = "[FS][0-9]{2}[SF][0-9]?"


def any_case(pattern: str) -> str:
    """The pattern matching its text in any letter case, without inline flags.

    For the ECMA patterns of JSON Schema, which have no ``(?i)``: each letter
    outside a class becomes ``[Xx]`` and the classes' ``A-Z`` and ``a-z`` take both
    cases. Escapes (``\\.``) are kept.
    """
    out: list[str] = []
    in_class = False
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            out.append(pattern[position : position + 2])
            position += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            elif pattern.startswith(("A-Z", "a-z"), position):
                out.append("A-Za-z")
                position += 3
                continue
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
        elif char.isalpha():
            out.append(f"[{char.upper()}{char.lower()}]")
        else:
            out.append(char)
        position += 1
    return "".join(out)


_KEY_ANY_CASE_RE = re.compile(KEY_PATTERN, re.IGNORECASE)
_KEY_IN_TEXT_RE = re.compile(KEY_IN_TEXT)
_KEY_START_RE = re.compile(_KEY_START)
_FORM_RES = tuple((form, re.compile(form.pattern, re.IGNORECASE)) for form in FORMS)
_WBS_ANY_CASE_RE = re.compile(WBS_PATTERN, re.IGNORECASE)
_WBS_IN_TEXT_RE = re.compile(WBS_IN_TEXT)
_CYCLE_MARKER_RE = re.compile(CYCLE_MARKER_PATTERN)
# The same key broken by a line or cell wrap: "DMTC-7400-242 0".
_WRAPPED_KEY = re.compile(r"(?<![\w-])((?:DMTC|DLP)-[0-9]{4}-[0-9]{1,3}) ([0-9]{1,3})\b")
# A milestone-table ID cell (white space taken out) that starts with a key, whole or
# cut by a wrap ("DMTC-7400-" / "2420"), or is a prefix whose number wrapped ("DMTC-").
_ID_START = re.compile(rf"^(?:(?:{KEY_PATTERN})(?!\w)|(?:{_PREFIX}|T&SC){_SEP}$)")
_ALPHA_VARIANT = re.compile(r"[A-Z]{3}[A-Z]")
_NUMBER_VARIANT = re.compile(r"[0-9]+[A-Z]")
_SPACE = re.compile(r"\s+")
# A key whose last number a cell wrap may have cut: it ends the text before the wrap.
_KEY_AT_END = re.compile(rf"(?<![\w-])(?:{KEY_PATTERN})$")
_DIGITS_START = re.compile(r"[0-9]+(?:$|[\s,;])")

# For search/: the key and WBS grammars as patterns of any case, with the
# boundaries the analyzer uses (a key is not part of a longer hyphenated run).
KEY_TOKEN = f"(?i:{KEY_IN_TEXT})"
WBS_TOKEN = rf"(?<![\w.])(?i:{WBS_PATTERN})(?!\w|\.\w)"
# For web/: whole-value patterns (JSON Schema, ECMA regular expressions).
KEY_JSON_PATTERN = f"^{any_case(KEY_PATTERN)}$"
WBS_JSON_PATTERN = f"^{any_case(WBS_PATTERN)}$"
KEY_MAX_LENGTH = 40


# --- identifiers -----------------------------------------------------------------


@dataclass(frozen=True)
class Identifier:
    """A normalised identifier found in text, with where it starts and ends."""

    key: str
    kind: str
    start: int
    end: int


def jira_base() -> str:
    """The JIRA browse URL prefix (``$DMREPORTS_JIRA_URL``, else Rubin's JIRA)."""
    base = os.environ.get(JIRA_BASE_ENV, DEFAULT_JIRA_BASE)
    return base if base.endswith("/") else base + "/"


def _canonical_case(key: str, form: Form) -> str:
    """Upper case but for a document milestone's variant letter (LDM-503-04b)."""
    if form.name != "milestone of a document":
        return key
    head, _, last = key.rpartition("-")
    if _ALPHA_VARIANT.fullmatch(last) or _NUMBER_VARIANT.fullmatch(last):
        last = last[:-1] + last[-1].lower()
    return f"{head}-{last}"


def _form_of(upper: str) -> Form | None:
    for form, pattern in _FORM_RES:
        if pattern.fullmatch(upper):
            return form
    return None


# The same few thousand keys and codes recur in every report of an archive, and
# an ingest asks for their canonical forms hundreds of thousands of times: both
# functions are pure, so their answers are kept (bounded, a few MiB at most).
_CACHE_SIZE = 1 << 15


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalise_key(raw: str) -> str | None:
    """The canonical form of an identifier ('dm_12305' -> 'DM-12305'); None if it is none."""
    text = _SPACE.sub("", raw)
    if len(text) > KEY_MAX_LENGTH or not _KEY_ANY_CASE_RE.fullmatch(text):
        return None
    upper = text.upper()
    form = _form_of(upper)
    if form is None:  # excluded prefixes never get here; a guard for the grammar
        return None
    prefix_end = re.search(_SEP, upper)
    if prefix_end:
        upper = upper[: prefix_end.start()] + "-" + upper[prefix_end.end() :]
    return _canonical_case(upper, form)


def is_key(raw: str) -> bool:
    """Whether a string is an identifier (in any case, as a query writes it)."""
    return normalise_key(raw) is not None


def kind_of(key: str) -> str:
    """The kind of a canonical identifier: jira, milestone, document or technote."""
    upper = key.upper()
    form = _form_of(upper)
    if form is not None and form.kind is not None:
        return form.kind
    prefix, _, rest = upper.partition("-")
    if prefix in MILESTONE_PREFIXES:
        return MILESTONE
    if prefix in DOCUMENT_PREFIXES:
        # LDM-503-1234: a numbered part of document LDM-503.
        return MILESTONE if "-" in rest else DOCUMENT
    if prefix in TECHNOTE_PREFIXES:
        return TECHNOTE
    return JIRA


def url_of(key: str, kind: str | None = None) -> str:
    """The outside link of an identifier (this service's page for milestones)."""
    kind = kind or kind_of(key)
    if kind == MILESTONE:
        return MILESTONE_PATH + key
    if kind == DOCUMENT:
        return DOCUMENT_BASE + key
    if kind == TECHNOTE:
        return TECHNOTE_URL.format(key=key.lower())
    return jira_base() + key


def parent_document(key: str) -> str | None:
    """The document a milestone such as LDM-503-2 belongs to, or None."""
    prefix, _, rest = key.partition("-")
    if prefix.upper() in DOCUMENT_PREFIXES and "-" in rest:
        return f"{prefix}-{rest.split('-')[0]}"
    return None


def may_hold_identifier(text: str) -> bool:
    """False when no identifier can stand in a text (or in any part of it): none of
    its characters start a key."""
    return _KEY_START_RE.search(text) is not None


def find_identifiers(text: str) -> list[Identifier]:
    """All identifiers in a text, normalised, in order of appearance.

    Positions are those of the text as given; a key wrapped by a table cell
    ("DMTC-7400-242 0") is found whole.
    """
    if not may_hold_identifier(text):
        return []
    # The wrap's space moves behind the key: positions stay those of the text.
    text = _WRAPPED_KEY.sub(lambda m: m[1] + m[2] + " ", text)
    found = []
    for match in _KEY_IN_TEXT_RE.finditer(text):
        key = normalise_key(match[0])
        if key:
            found.append(Identifier(key, kind_of(key), match.start(), match.end()))
    return found


def starts_with_identifier(cell: str) -> bool:
    """Whether a milestone-table ID cell starts with an identifier (or its wrapped start)."""
    return bool(_ID_START.match(_SPACE.sub("", cell)))


def split_ids(text: str) -> list[str]:
    """The keys of a milestone-table ID cell, as written (not yet normalised).

    Listed with commas, semicolons, "and" or spaces; a key wrapped inside the cell
    ("DMTC-7400-242 0", "DMTC- 7400-2420") is joined again: a token goes on the key
    before it unless it starts a key of its own and the key before is not cut after a
    separator.
    """
    ids: list[str] = []
    for piece in re.split(r"[,;]|\band\b", text):
        for token in piece.split():
            if ids and ids[-1] and (not _ID_START.match(token) or ids[-1].endswith(("-", "_"))):
                ids[-1] += token
            else:
                ids.append(token)
        ids.append("")  # the next piece starts a new ID
    return [key for key in ids if key]


def ends_inside_key(text: str, following: str) -> bool:
    """Whether a wrap between ``text`` and ``following`` cut a key's number
    ('DMTC-7400-242' then '0'): text ends with a key and the next line starts with digits."""
    return bool(_DIGITS_START.match(following) and _KEY_AT_END.search(text[-KEY_MAX_LENGTH:]))


def is_cycle_marker(text: str) -> bool:
    """Whether a schedule ID is a cycle marker (F17S, S18F), which is no identifier."""
    return bool(_CYCLE_MARKER_RE.fullmatch(text))


# --- WBS codes -------------------------------------------------------------------


@functools.lru_cache(maxsize=_CACHE_SIZE)
def canonical_wbs(code: str) -> str | None:
    """'1.02C.03.04' for '02c.03.04' or '1.02C.03.04'; None if it is not a WBS code."""
    code = code.strip()
    if not _WBS_ANY_CASE_RE.fullmatch(code):
        return None
    parts = code.split(".")
    if parts[0] != _WBS_ROOT:
        parts.insert(0, _WBS_ROOT)
    parts[1] = parts[1].upper()
    return ".".join(parts)


def find_wbs_codes(text: str) -> list[re.Match]:
    """The WBS codes quoted in a text (upper-case letter, as reports write them)."""
    return list(_WBS_IN_TEXT_RE.finditer(text))


def wbs_ancestors(code: str) -> list[str]:
    """A canonical code's ancestors and itself, from '1.02C' down."""
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(2, len(parts) + 1)]


def wbs_depth(code: str) -> int:
    """The WBS level of a canonical code: '1.02C' is 2, '1.02C.03' is 3."""
    return code.count(".") + 1
