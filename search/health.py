"""Index health: a manifest of every file of a generation, written at commit, checked on open.

A generation folder's files never change once committed (a writer makes a
new generation), so their sizes and checksums, recorded in the folder's
MANIFEST when it is committed, tell whether anything has damaged them since:
a file cut short by a full disk or a crash of the machine, bytes overwritten,
a file deleted. The manifest lists whatever the folder holds at commit (index
segments, their tables of contents, any other store written there), never a
fixed list of names; only lock files and a database's transient journals are
left out.

Opening a generation checks every listed file's size (one stat each) and,
once per process and generation, its CRC-32 (zlib's), unless the file is the
very one the manifest's writer checksummed: the manifest also records each
file's inode and modification time at commit (its stamp), and a file whose
inode, size and mtime still match was written once, verified then, and not
written since (a write in place moves its mtime; a copy, a restore from a
backup or a file written anew has another inode). So a process opening an
index its ingest wrote reads no file in full (at 1200 reports the checksums
were about 510 MB, a third of a cold first search), while `dmreports check`
checksums every byte whatever the stamps say (it also finds what changes a
file's bytes behind the file system's back: a failing disk, a write whose
times were put back). A file checksummed once by the process (a segment a new
generation shares with the previous one through a hard link: same inode, same
manifest entry) is not read again; later opens check sizes only (0.06 ms). A
searcher checksums the files it reads, all but the history store
(`verify(only=...)`); a history reader checks them all. A manifest written
before stamps were kept has none: its files are checksummed on open. A
generation written before manifests were kept has none (CURRENT does not say
it has one): it opens unverified, and the next ingest that changes the index
writes the manifest of the generation it makes.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

from .errors import IndexDamaged

MANIFEST = "MANIFEST"
MANIFEST_VERSION = 1
# Files that are not the index's data: lock files (empty, made and removed by
# writers), temporary tables of contents, a database's journals.
UNLISTED = re.compile(r"LOCK$|\.toc\.|-journal$|-wal$|-shm$")
CHUNK = 1 << 24
# A manifest entry's stamp: the file's identity and last write when it was checksummed.
STAMP = ("inode", "mtime_ns")

_verified: set[tuple[str, int, int]] = set()
# Files checksummed by this process: (device, inode, size, CRC-32). A new generation's
# files are hard links of the previous one's, so only the files it wrote are read again.
_verified_files: set[tuple[int, int, int, int]] = set()
_verified_lock = threading.Lock()


@dataclass(frozen=True)
class Health:
    """What a check of a generation found: its files and bytes; verified is False when the
    generation has no manifest (written before manifests were kept)."""

    generation: str
    files: int
    bytes: int
    verified: bool


def write_manifest(folder: str | os.PathLike) -> None:
    """Record the size and checksum of every file in a generation folder (called at commit).

    Written to a temporary name and renamed: a manifest hard-linked from the
    previous generation is replaced, never written through.
    """
    folder = Path(folder)
    files = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name == MANIFEST or not entry.is_file(follow_symlinks=False):
            continue
        if UNLISTED.search(entry.name) or entry.name.startswith(MANIFEST):
            continue
        stat = entry.stat(follow_symlinks=False)
        crc = _crc32(Path(entry.path), stat.st_size)
        # The stamp: the file as it was when checksummed (checked again after the read,
        # so a file written meanwhile is not vouched for).
        again = os.stat(entry.path, follow_symlinks=False)
        files[entry.name] = {"size": stat.st_size, "crc32": crc}
        if _stamp(again) == _stamp(stat):
            files[entry.name].update(zip(STAMP, _stamp(stat)[1:], strict=True))
    data = json.dumps({"version": MANIFEST_VERSION, "files": files}, indent=1, sort_keys=True)
    tmp = folder / f"{MANIFEST}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / MANIFEST)


def verify(
    folder: str | os.PathLike,
    checksums: bool = True,
    cached: bool = True,
    required: bool = False,
    only=None,
) -> Health:
    """Check a generation folder against its manifest; raise IndexDamaged naming the first fault.

    Sizes are always checked; checksums when asked, once per process for a
    given manifest unless not cached (later calls only check sizes). Raises FileNotFoundError
    when the folder itself is gone (a writer removed an old generation).
    required: the generation was committed with a manifest, so a missing one is damage.
    only(name): the files whose checksums a reader needs (all when None; sizes are
    always checked): a searcher does not read the history store.
    """
    folder = Path(folder)
    name = folder.name
    try:
        manifest_stat = os.stat(folder / MANIFEST)
    except FileNotFoundError:
        if not folder.is_dir():
            raise
        if required:
            raise IndexDamaged(name, f"{MANIFEST} missing") from None
        return Health(name, *_count(folder), verified=False)
    files = _read_manifest(folder, name)
    total = 0
    for file_name, expected in files.items():
        try:
            size = os.stat(folder / file_name).st_size
        except FileNotFoundError:
            if not folder.is_dir():
                raise
            raise IndexDamaged(name, f"{file_name} missing") from None
        if size != expected["size"]:
            fault = "truncated" if size < expected["size"] else "longer than written"
            raise IndexDamaged(name, f"{file_name} {fault}")
        total += size
    key = (str(folder.resolve()), manifest_stat.st_ino, manifest_stat.st_mtime_ns)
    if checksums and (key not in _verified or not cached):
        with _verified_lock:
            if key not in _verified or not cached:
                for file_name, expected in files.items():
                    if only is None or only(file_name):
                        _check_file(folder / file_name, expected, name, cached)
                if only is None:
                    _verified.add(key)
    return Health(name, len(files), total, verified=True)


def _check_file(path: Path, expected: dict, generation: str, cached: bool) -> None:
    """Raise IndexDamaged unless a file's checksum is the manifest's (once per process).

    When cached, a file still as the manifest's stamp recorded it is not read.
    """
    stat = os.stat(path)
    key = (stat.st_dev, stat.st_ino, expected["size"], expected["crc32"])
    if cached and (key in _verified_files or _stamped(stat, expected)):
        _verified_files.add(key)
        return
    if _crc32(path, expected["size"]) != expected["crc32"]:
        raise IndexDamaged(generation, f"{path.name} changed since it was written")
    _verified_files.add(key)


def _stamp(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_size, stat.st_ino, stat.st_mtime_ns


def _stamped(stat: os.stat_result, expected: dict) -> bool:
    """Whether a file is the one the manifest's writer checksummed (same inode, size, mtime)."""
    recorded = tuple(expected.get(name) for name in STAMP)
    return None not in recorded and _stamp(stat) == (expected["size"], *recorded)


def forget_verified() -> None:
    """Drop this process's record of verified generations (the next open checksums again)."""
    with _verified_lock:
        _verified.clear()
        _verified_files.clear()


def _read_manifest(folder: Path, name: str) -> dict:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        for entry in files.values():
            int(entry["size"]), int(entry["crc32"])
            for name in STAMP:
                int(entry.get(name, 0))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise IndexDamaged(name, f"{MANIFEST} unreadable") from None
    if data.get("version") != MANIFEST_VERSION:
        raise IndexDamaged(name, f"{MANIFEST} of an unknown version")
    return files


def _count(folder: Path) -> tuple[int, int]:
    sizes = [
        e.stat().st_size
        for e in os.scandir(folder)
        if e.is_file(follow_symlinks=False) and not UNLISTED.search(e.name)
    ]
    return len(sizes), sum(sizes)


def _crc32(path: Path, size: int) -> int:
    """The CRC-32 of a file's first `size` bytes, read through a memory map."""
    if size == 0:
        return 0
    with open(path, "rb") as f:
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            crc = 0
            view = memoryview(mapped)
            try:
                for start in range(0, min(size, len(mapped)), CHUNK):
                    crc = zlib.crc32(view[start : start + CHUNK], crc)
            finally:
                view.release()
            return crc
