"""The one place index field names and analyzers live.

One Whoosh document per report section, one per milestone row, and one hidden
`report` document per report holding its file facts, WBS labels and the report's
unstemmed vocabulary (each distinct word once: far cheaper than indexing every
section twice), which "did you mean" and wildcards expand over. Analysis keeps
identifiers whole: a WBS code (`02C.03.04`, `1.02C.03.04`) becomes one
canonical token, a key (`DM-12256`, `LDM-503-2`, `DM_12305`) one lowercased
token; ordinary words are accent-folded, stop-filtered and stemmed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from itertools import chain, repeat
from typing import Literal

from whoosh.analysis import (
    IDTokenizer,
    LowercaseFilter,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Frequency, Positions
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

from ingest import identifiers

from .codec import encode_frequency, encode_positions

# Bump when a field or an analyzer changes: an index built with another
# version is refused (IndexOutdated) until it is rebuilt.
SCHEMA_VERSION = 5

# BM25F field boosts: a word in a heading says more than a word in the text.
TITLE_BOOST = 3.0
WBS_TITLE_BOOST = 2.0

# Kinds of document; `report` documents carry metadata and never match a search.
KIND_SECTION = "section"
KIND_MILESTONE = "milestone"
KIND_REPORT = "report"
SEARCH_KINDS: tuple[str, ...] = (KIND_SECTION, KIND_MILESTONE)

# Identifiers and WBS codes are ingest's grammar (ingest/identifiers.py): the
# analyzer indexes as a key or a code exactly what the parser accepts as one.
_WORD = r"\w+(?:\.\w+)*"
TOKEN_RE = re.compile(
    rf"(?P<wbs>{identifiers.WBS_TOKEN})|(?P<key>{identifiers.KEY_TOKEN})|(?P<word>{_WORD})"
)
# The same tokens as whole strings (findall gives the matched text, no groups).
TOKEN_TEXT_RE = re.compile(re.sub(r"\(\?P<\w+>", "(?:", TOKEN_RE.pattern))

TokenKind = Literal["wbs", "key", "word"]

canonical_wbs = identifiers.canonical_wbs
wbs_ancestors = identifiers.wbs_ancestors
wbs_depth = identifiers.wbs_depth


def canonical_key(key: str) -> str:
    """A key token in the index's form: canonical (`DM_12305` is `DM-12305`), lower case."""
    canonical = identifiers.normalise_key(key)
    return canonical.lower() if canonical else key.strip()


def key_parents(key: str) -> list[str]:
    """The keys a key belongs to: LDM-503 for LDM-503-2 (a milestone of that document)."""
    parent = identifiers.parent_document(key)
    return [parent.lower()] if parent else []


def classify(text: str) -> TokenKind:
    """Return the kind of a whole token: `wbs`, `key` or `word`."""
    if identifiers.canonical_wbs(text):
        return "wbs"
    if identifiers.is_key(text):
        return "key"
    return "word"


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return stem(word)


_ACCENTS = accent_map
_STOP_WORDS = StopFilter().stops
_MIN_WORD = StopFilter().min
# Distinct tokens a ReportAnalyzer remembers before it starts afresh.
_CACHE_LIMIT = 200_000


class ReportAnalyzer(Tokenizer):
    """Tokenize, fold, drop stop words, normalise identifiers and stem in one pass.

    The same tokens as the filter chain
    `ReportTokenizer | LowercaseFilter | CharsetFilter(accent_map) | StopFilter |
    [KindFilter] | IdentifierFilter | WordStemFilter`, at a fraction of its cost
    (one Python loop instead of a generator per filter per token).

    kinds: the token kinds kept (a `wbs:` or `ref:` value is never a word);
    stop: drop stop words and one-letter words, renumbering positions;
    stem: Porter-stem ordinary words; fold: fold accents; expand_wbs / expand_keys: when indexing,
    also emit a code's ancestors and a key's parents at the same position.
    """

    is_morph = True

    def __init__(
        self,
        kinds: tuple[str, ...] = ("wbs", "key", "word"),
        stop: bool = True,
        stem: bool = True,
        fold: bool = True,
        expand_wbs: bool = False,
        expand_keys: bool = False,
    ):
        self.kinds = frozenset(kinds)
        self.fold = fold
        self.stop = stop
        self.stem = stem
        self.expand_wbs = expand_wbs
        self.expand_keys = expand_keys
        self._cache: dict[tuple[str, str, str], tuple[bytes, ...]] = {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReportAnalyzer):
            return False
        return self._settings() == other._settings()

    def __getstate__(self) -> dict:
        # The schema (analyzers included) is pickled into each table of contents.
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _cache={})

    def _settings(self) -> tuple:
        return (self.kinds, self.fold, self.stop, self.stem, self.expand_wbs, self.expand_keys)

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Return {term: its positions} as indexing would make them (mode "index").

        The same terms and positions as the tokens `__call__` yields with
        positions=True, mode="index"; each distinct token's terms are worked out
        once per process and remembered.
        """
        found = self.encoded_positions(TOKEN_RE.findall(value))
        return {tbytes.decode("utf-8"): poses for tbytes, poses in found.items()}

    def index_terms(self, value: str) -> frozenset[str]:
        """The distinct terms indexing makes of a value: `term_positions`' terms, without
        working out their positions."""
        return frozenset(chain.from_iterable(map(self._index_terms, TOKEN_RE.findall(value))))

    def encoded_positions(self, tokens: list[tuple[str, str, str]]) -> dict[bytes, list[int]]:
        """`term_positions` of a value's tokens (TOKEN_RE.findall), terms as UTF-8 bytes."""
        found = self._token_terms(tokens)
        if self.stop:
            # Tokens that index nothing are dropped and the rest renumbered on
            # from the first one kept (as Whoosh's StopFilter does).
            first = next((index for index, terms in enumerate(found) if terms), 0)
            numbered = enumerate([terms for terms in found if terms], first)
        else:
            numbered = ((pos, terms) for pos, terms in enumerate(found) if terms)
        out: dict[bytes, list[int]] = {}
        for pos, terms in numbered:
            for text in terms:
                poses = out.get(text)
                if poses is None:
                    out[text] = [pos]
                else:
                    poses.append(pos)
        return out

    def occurrences(self, tokens: list[tuple[str, str, str]]) -> tuple[list[bytes], Sequence[int]]:
        """Every (term, position) of a value's tokens (TOKEN_RE.findall), in order.

        Returns (terms as UTF-8 bytes, their positions): the pairs of
        `encoded_positions`, one after another as the tokens come, without a
        dict of them (an indexer groups them by term a segment at a time).
        """
        return numbered(self.token_terms(tokens), self.stop)

    def token_terms(self, tokens: list[tuple[str, str, str]]) -> list[tuple[bytes, ...]]:
        """The terms each token indexes as (none for a stop word), each distinct token's once."""
        return self._token_terms(tokens)

    def _token_terms(self, tokens: list[tuple[str, str, str]]) -> list[tuple[bytes, ...]]:
        # The terms each token indexes as (none for a stop word), each distinct token's once.
        cache = self._cache
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        found = list(map(cache.get, tokens))
        if None in found:
            for groups in set(tokens).difference(cache):
                cache[groups] = tuple(text.encode("utf-8") for text in self._index_terms(groups))
            found = list(map(cache.__getitem__, tokens))
        return found

    def _index_terms(self, groups: tuple[str, str, str]) -> tuple[str, ...]:
        # The terms one token indexes as (none if its kind is not kept or it is a stop word).
        wbs, key, word = groups
        kind, original = ("wbs", wbs) if wbs else ("key", key) if key else ("word", word)
        if kind not in self.kinds:
            return ()
        text = self._folded(original)
        if self._is_stop(text):
            return ()
        return self._terms(text, kind, index=True, stem=True)

    def _folded(self, original: str) -> str:
        return original.lower().translate(_ACCENTS) if self.fold else original.lower()

    def _is_stop(self, text: str) -> bool:
        return self.stop and (len(text) < _MIN_WORD or text in _STOP_WORDS)

    def _terms(self, text: str, kind: str, index: bool, stem: bool) -> tuple[str, ...]:
        """A folded token's term, then (when indexing) a code's ancestors or a key's parents."""
        if kind == "wbs":
            text = canonical_wbs(text).lower()
            return (text, *(wbs_ancestors(text)[:-1] if self.expand_wbs and index else ()))
        if kind == "key":
            text = canonical_key(text)
            return (text, *(key_parents(text) if self.expand_keys and index else ()))
        return (_stem(text) if self.stem and stem else text,)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        """Yield one reused Token per kept token (the Whoosh analyzer protocol)."""
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost = 1.0
        if not tokenize:
            matches = [(value, classify(value), 0, len(value))]
        else:
            matches = (
                (m.group(0), m.lastgroup, m.start(), m.end()) for m in TOKEN_RE.finditer(value)
            )
        kinds, stop, index = self.kinds, self.stop, mode == "index"
        renumbered = None
        for pos, (original, kind, start, end) in enumerate(matches):
            if kind not in kinds and tokenize:
                continue
            text = self._folded(original)
            t.stopped = False
            if self._is_stop(text):
                if removestops:
                    continue
                t.stopped = True
            elif stop and positions:
                renumbered = start_pos + pos if renumbered is None else renumbered + 1
            text, *extra = self._terms(text, kind, index=index, stem=tokenize)
            t.text = text
            t.kind = kind
            t.whole = not tokenize
            if keeporiginal:
                t.original = original
            if positions:
                t.pos = renumbered if stop and not t.stopped else start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t
            for text in extra:
                t.text = text
                yield t


# Body text and headings: keys keep their parents, words are stemmed.
TEXT_ANALYZER = ReportAnalyzer(expand_keys=True)
# The unstemmed vocabulary behind "did you mean" and wildcards (report documents only).
WORDS_ANALYZER = ReportAnalyzer(stem=False)
# A WBS code and (when indexing) its ancestors; anything else in the value is dropped.
WBS_ANALYZER = ReportAnalyzer(kinds=("wbs",), stop=False, stem=False, fold=False, expand_wbs=True)
# Reference keys, with their parents when indexing.
KEY_ANALYZER = ReportAnalyzer(kinds=("key",), stop=False, stem=False, fold=False, expand_keys=True)
# One milestone ID, exactly.
MILESTONE_ANALYZER = ReportAnalyzer(kinds=("key",), stop=False, stem=False, fold=False)
# One case-insensitive value (month, part, kind, status, milestone ID...).
EXACT_ANALYZER = IDTokenizer() | LowercaseFilter()


def numbered(found: list[tuple], stop: bool) -> tuple[list, Sequence[int]]:
    """Each token's terms (`ReportAnalyzer.token_terms`, or anything standing for them),
    one after another, and the position of each.

    With stop, tokens that index nothing are dropped and the rest numbered on
    from the first one kept (as Whoosh's StopFilter does, and encoded_positions).
    """
    if stop:
        kept = list(filter(None, found))
        if not kept:
            return [], ()
        first = 0 if found[0] else next(i for i, terms in enumerate(found) if terms)
        starts: Sequence[int] = range(first, first + len(kept))
    else:
        pairs = [(pos, terms) for pos, terms in enumerate(found) if terms]
        kept = [terms for _, terms in pairs]
        starts = [pos for pos, _ in pairs]
    terms = list(chain.from_iterable(kept))
    if len(terms) == len(kept):
        return terms, starts
    return terms, list(chain.from_iterable(map(repeat, starts, map(len, kept))))


class ReportText(TEXT):
    """A TEXT field whose `ReportAnalyzer` indexes a value in one pass.

    `index` returns the same posting items as Whoosh's `Format.word_values`
    over the analyzer's tokens (tests/test_index_writer.py compares them), at a
    fraction of the cost: each distinct token is analyzed once per process.
    """

    def index(self, value, **kwargs):
        """Return (term bytes, frequency, weight, encoded value) for each distinct term."""
        if kwargs or not isinstance(value, str) or not self.analyzes_tokens:
            return super().index(value, **kwargs)
        return self.index_tokens(TOKEN_RE.findall(value))

    @property
    def analyzes_tokens(self) -> bool:
        """True when `index_tokens` can index this field's values."""
        return isinstance(self.analyzer, ReportAnalyzer) and type(self.format) in (
            Positions,
            Frequency,
        )

    def index_tokens(self, tokens: list[tuple[str, str, str]]) -> list[tuple]:
        """`index` of a value from its tokens (TOKEN_RE.findall of it)."""
        boost, encode = self.format.field_boost, self.value_encoder
        return [
            (tbytes, len(poses), float(len(poses)) * boost, encode(poses))
            for tbytes, poses in self.analyzer.encoded_positions(tokens).items()
        ]

    @property
    def keeps_positions(self) -> bool:
        """True when a posting's value is its positions (else it is its count of them)."""
        return type(self.format) is Positions

    @property
    def value_encoder(self) -> Callable[[list[int]], bytes]:
        """A posting's value from the term's positions in the value (see `index_tokens`)."""
        return _positions if type(self.format) is Positions else _frequency_of


def _positions(poses: list[int]) -> bytes:
    """Positions.encode: the count, then the pickled position deltas."""
    if len(poses) == 1:
        # Most terms occur once in a value: those encodings are made once.
        value = _ONE_POSITION.get(poses[0])
        if value is None:
            value = _ONE_POSITION[poses[0]] = encode_positions(poses)
        return value
    return encode_positions(poses)


_ONE_POSITION: dict[int, bytes] = {}


def one_position_values(positions: list[int]) -> list[bytes]:
    """`_positions` of many postings that each hold one position (the encodings shared alike)."""
    cache = _ONE_POSITION
    for pos in set(positions).difference(cache):
        cache[pos] = encode_positions([pos])
    return list(map(cache.__getitem__, positions))


def frequency_values(counts: list[int]) -> list[bytes]:
    """`_frequency_of` of many postings, from their counts of positions."""
    cache = _FREQUENCY
    for count in set(counts).difference(cache):
        cache[count] = encode_frequency(count)
    return list(map(cache.__getitem__, counts))


def _frequency_of(poses: list[int]) -> bytes:
    """Frequency.encode of a term's count of positions, each count's encoding made once."""
    value = _FREQUENCY.get(len(poses))
    if value is None:
        value = _FREQUENCY[len(poses)] = encode_frequency(len(poses))
    return value


_FREQUENCY: dict[int, bytes] = {}


def _exact(stored: bool = True, sortable: bool = False) -> ID:
    return ID(stored=stored, sortable=sortable, analyzer=EXACT_ANALYZER)


SCHEMA = Schema(
    doc_id=ID(stored=True, unique=True),
    kind=_exact(),
    report=_exact(),
    order=NUMERIC(stored=True, sortable=True),
    month=_exact(sortable=True),
    year=_exact(),
    wbs=ReportText(analyzer=WBS_ANALYZER, phrase=False),
    wbs_code=ID(stored=True),
    wbs_title=ReportText(analyzer=TEXT_ANALYZER, stored=True, field_boost=WBS_TITLE_BOOST),
    part=_exact(),
    title=ReportText(analyzer=TEXT_ANALYZER, stored=True, field_boost=TITLE_BOOST),
    text=ReportText(analyzer=TEXT_ANALYZER, stored=True),
    words=ReportText(analyzer=WORDS_ANALYZER, phrase=False),
    refs=ReportText(analyzer=KEY_ANALYZER, phrase=False),
    ref_keys=STORED(),
    ref_kinds=KEYWORD(),
    source=ID(stored=True),
    sha256=ID(stored=True),
    page=STORED(),
    milestone_id=ID(stored=True, analyzer=MILESTONE_ANALYZER),
    due=_exact(),
    expected=STORED(),
    group=STORED(),
    status=_exact(),
    report_title=STORED(),
    pages=STORED(),
    labels=STORED(),
)

# Fields a user may name in a query (`ref:` is an alias); any other `name:` is text.
QUERY_FIELDS: tuple[str, ...] = (
    "title",
    "text",
    "wbs",
    "wbs_title",
    "month",
    "year",
    "part",
    "kind",
    "refs",
    "ref_kinds",
    "milestone_id",
    "status",
    "due",
    "report",
)
QUERY_ALIASES: dict[str, list[str]] = {
    "refs": ["ref"],
    "ref_kinds": ["ref_kind"],
    "milestone_id": ["id", "milestone"],
    "wbs_title": ["element"],
}
# Fields a bare word searches (their weights are the schema's field boosts).
DEFAULT_FIELDS: tuple[str, ...] = ("title", "wbs_title", "text", "wbs", "refs")
# Stemmed fields whose wildcards expand over the unstemmed `words` vocabulary.
STEMMED_FIELDS: frozenset[str] = frozenset({"title", "wbs_title", "text"})
SPELLING_FIELD = "words"

QUERY_SCHEMA = Schema(**{name: SCHEMA[name] for name in QUERY_FIELDS})


def analyze(text: str, analyzer=TEXT_ANALYZER, mode: str = "index") -> list[str]:
    """Return the token texts an analyzer makes of a text (for tests and tools)."""
    return [t.text for t in analyzer(text, mode=mode)]
