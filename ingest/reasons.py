"""Every reason a file can fail to be indexed for: the one list, repeated by the README.

A reason is the text after `FAILED FILE: ` in an ingest (and after `FILE: `
in `dmreports parse`). Those with a part that varies are templates filled
with `str.format`; `REASONS` lists them all, and the suite checks that the
README's list of failure reasons is this list.
"""

from __future__ import annotations

import errno
import re
import stat

# Reading the file.
EMPTY = "empty file"
IS_DIRECTORY = "is a directory"
NOT_REGULAR = "not a regular file ({kind}); it was not opened"
TOO_LARGE = "file too large ({mb:.1f} MB, limit {limit:g} MB)"
# What the operating system says (Permission denied, No such file or directory...).
SYSTEM_ERROR = "{strerror}"
NOT_PDF_OR_HTML = "not a PDF or HTML file"
# PDF.
TRUNCATED_PDF = "truncated PDF (no end-of-file marker)"
ENCRYPTED_PDF = "encrypted PDF (password required)"
DAMAGED_PDF = "damaged PDF (cannot be opened)"
NO_PAGES = "damaged PDF (no pages)"
TOO_MANY_PAGES = "too many pages ({pages}, limit {limit})"
NO_TEXT_LAYER = "no text layer (scanned?); OCR is not supported"
# HTML.
NO_HTML_TEXT = "no text found in HTML"
NESTING_TOO_DEEP = "nesting too deep (HTML elements nested beyond what the reader follows)"
# A reader library failing on a malformed file, with its exception.
CANNOT_PARSE = "cannot be parsed ({error})"
# Not a report.
NOT_A_REPORT = "not a monthly report (no report structure found)"
# The parsing workers.
TIME_LIMIT = "parse exceeded the time limit ({seconds:g} s)"
CRASHED = "parser crashed (exit code {code})"
MAX_LOSSES = 2
LOST_TOO_OFTEN = f"lost with {MAX_LOSSES} parser workers that stopped (crashed or too slow)"
CANNOT_PREPARE = "cannot be prepared for the index ({error})"
LOST_WITH_WORKER = "indexed by a worker that stopped"

REASONS: tuple[str, ...] = (
    EMPTY,
    IS_DIRECTORY,
    NOT_REGULAR,
    TOO_LARGE,
    SYSTEM_ERROR,
    NOT_PDF_OR_HTML,
    TRUNCATED_PDF,
    ENCRYPTED_PDF,
    DAMAGED_PDF,
    NO_PAGES,
    TOO_MANY_PAGES,
    NO_TEXT_LAYER,
    NO_HTML_TEXT,
    NESTING_TOO_DEEP,
    CANNOT_PARSE,
    NOT_A_REPORT,
    TIME_LIMIT,
    CRASHED,
    LOST_TOO_OFTEN,
    CANNOT_PREPARE,
    LOST_WITH_WORKER,
)

# The errors of a full disk (or a full quota): the disk's problem, never a file's.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})

_FILE_KINDS = (
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)
_FIELD = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def shown(template: str) -> str:
    """Return a reason as the README shows it: each field as its name in capitals."""
    return _FIELD.sub(lambda m: m.group(1).upper(), template)


def special_file(mode: int) -> str | None:
    """The reason a file of this st_mode is not read, or None for a regular file.

    FIFOs, sockets and devices are failed by name without being opened:
    opening a FIFO blocks until something writes to it.
    """
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return IS_DIRECTORY
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "special file")
    return NOT_REGULAR.format(kind=kind)


def is_disk_full(exc: BaseException) -> bool:
    """Return whether an exception is (or was caused by) a full disk."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
