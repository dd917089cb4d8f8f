"""A damaged index is named in one line, never read, and rebuilt by `ingest --full`.

Each kind of damage an unlucky disk or operator does to the current generation
(files cut short, overwritten, grown, deleted; the manifest or the pointer
spoilt) is made to a copy of one small index (TEST FIXTURE months rendered as
HTML); then every command meets it: `search` and `check` exit 2 with the line,
an incremental `ingest` refuses to build on it, `ingest --full` rebuilds it
without reading it, and the web app answers 503 with the line on every page.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import urllib.error
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from dmreports.cli import main
from search import Index, IndexDamaged, SearchRequest, health, search
from search.history import is_store_file
from tests.fixtures.months import marker, write_month
from tests.ingest_helpers import count_checksums, generation, run_cli, summary_re
from web import create_app

MONTHS = ("2017-08", "2017-09")
REPAIR = "run `dmreports ingest --full` to rebuild it"


def _segment(gen: Path) -> Path:
    # The largest file of a segment (segments are written as one file per part).
    parts = [p for p in gen.glob("MAIN_*.*") if p.is_file()]
    return max(parts, key=lambda p: p.stat().st_size)


def _toc(gen: Path) -> Path:
    return next(gen.glob("*.toc"))


def _truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as f:
        f.truncate(size)


def _overwrite(path: Path, offset: int, data: bytes) -> None:
    # A new file in place of the old (a generation's files are hard links
    # shared with the previous generation, which this test leaves alone).
    content = bytearray(path.read_bytes())
    content[offset : offset + len(data)] = data
    path.unlink()
    path.write_bytes(bytes(content))


def seg_empty(gen):
    seg = _segment(gen)
    _truncate(seg, 0)
    return f"{seg.name} truncated"


def seg_half(gen):
    seg = _segment(gen)
    _truncate(seg, seg.stat().st_size // 2)
    return f"{seg.name} truncated"


def toc_empty(gen):
    _truncate(_toc(gen), 0)
    return f"{_toc(gen).name} truncated"


def toc_100_bytes(gen):
    _truncate(_toc(gen), 100)
    return f"{_toc(gen).name} truncated"


def seg_random_50kb(gen):
    seg = _segment(gen)
    noise = random.Random(7).randbytes(50_000)
    _overwrite(seg, seg.stat().st_size // 3, noise)
    return f"{seg.name} changed since it was written"


def toc_one_byte(gen):
    toc = _toc(gen)
    data = toc.read_bytes()
    _overwrite(toc, 40, bytes([data[40] ^ 0x01]))
    return f"{toc.name} changed since it was written"


def seg_grown(gen):
    seg = _segment(gen)
    with open(seg, "ab") as f:
        f.write(b"\0" * 4096)
    return f"{seg.name} longer than written"


def seg_deleted(gen):
    seg = _segment(gen)
    seg.unlink()
    return f"{seg.name} missing"


def toc_deleted(gen):
    toc = _toc(gen)
    toc.unlink()
    return f"{toc.name} missing"


def manifest_deleted(gen):
    (gen / health.MANIFEST).unlink()
    return "MANIFEST missing"


def manifest_spoilt(gen):
    (gen / health.MANIFEST).write_text('{"files": {"x": ')
    return "MANIFEST unreadable"


def generation_deleted(gen):
    shutil.rmtree(gen)
    return "folder missing"


DAMAGES = {
    f.__name__: f
    for f in (
        seg_empty,
        seg_half,
        toc_empty,
        toc_100_bytes,
        seg_random_50kb,
        toc_one_byte,
        seg_grown,
        seg_deleted,
        toc_deleted,
        manifest_deleted,
        manifest_spoilt,
        generation_deleted,
    )
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A folder of two reports and its index (two generations: the second one is damaged)."""
    base = tmp_path_factory.mktemp("health")
    folder, index_dir = base / "reports", base / "index"
    write_month(folder, MONTHS[0])
    assert run_cli("ingest", folder, "--index", index_dir).returncode == 0
    write_month(folder, MONTHS[1])
    assert run_cli("ingest", folder, "--index", index_dir).returncode == 0
    return folder, index_dir


@pytest.fixture(params=sorted(DAMAGES))
def damaged(request, pristine, tmp_path):
    """A copy of the index with its current generation damaged; (folder, index, line)."""
    folder, source = pristine
    index_dir = tmp_path / "index"
    shutil.copytree(source, index_dir, copy_function=shutil.copy2)
    current = json.loads(generation(index_dir))["generation"]
    detail = DAMAGES[request.param](index_dir / f"gen-{current:06d}")
    line = f"index damaged: gen-{current:06d} ({detail}); {REPAIR}"
    health.forget_verified()
    return folder, index_dir, line


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def test_search_names_the_damage_in_one_line(damaged):
    _, index_dir, line = damaged
    result = invoke("search", "qserv", "--index", index_dir)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")


def test_check_names_the_damage_and_exits_2(damaged):
    _, index_dir, line = damaged
    result = invoke("check", "--index", index_dir)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")


def test_incremental_ingest_refuses_to_build_on_damage(damaged):
    folder, index_dir, line = damaged
    before = generation(index_dir)
    write_month(folder.parent / "more", "2017-10")
    result = invoke("ingest", folder, folder.parent / "more", "--index", index_dir, "--jobs", "1")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")
    assert generation(index_dir) == before


def test_full_ingest_rebuilds_without_reading_the_damage(damaged):
    folder, index_dir, line = damaged
    result = invoke("ingest", folder, "--index", index_dir, "--full", "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    summary = line.removesuffix(f"; {REPAIR}")
    assert result.stderr == f"notice: {summary}; rebuilding it from the given paths\n"
    assert re.fullmatch(summary_re(added=2), result.stdout.splitlines()[-1])
    checked = invoke("check", "--index", index_dir)
    assert checked.exit_code == 0, checked.stderr
    assert re.fullmatch(
        r"index ok: gen-\d{6} \(\d+ files, \d+\.\d MB, 2 reports; sizes and checksums verified\)\n",
        checked.stdout,
    )
    found = search(Index.open(index_dir), SearchRequest(q=marker(MONTHS[1])))
    assert found.total > 0


def test_the_web_answers_503_with_the_line(damaged):
    _, index_dir, line = damaged
    client = create_app(index_dir).test_client()
    for path in ("/", "/reports", "/milestones", "/ref/DM-12256", "/wbs/1.02C.03"):
        page = client.get(path)
        assert page.status_code == 503, path
        assert page.headers["Retry-After"] == "60"
        assert line.encode() in page.data.replace(b"&#96;", b"`"), path
        twin = client.get(path.rstrip("/") + ".json" if path != "/" else "/search.json")
        assert (twin.status_code, twin.get_json()) == (503, {"error": line}), path
    api = client.get("/api/search?q=qserv")
    assert (api.status_code, api.get_json()) == (503, {"error": line})


def test_a_damaged_pointer_is_named_too(pristine, tmp_path):
    folder, source = pristine
    index_dir = tmp_path / "index"
    shutil.copytree(source, index_dir)
    (index_dir / "CURRENT").write_text("{half a pointer")
    line = f"index damaged: CURRENT (unreadable); {REPAIR}\n"
    assert invoke("search", "--index", index_dir).stderr == line
    assert invoke("check", "--index", index_dir).stderr == line
    assert invoke("ingest", folder, "--index", index_dir).stderr == line
    rebuilt = invoke("ingest", folder, "--index", index_dir, "--full", "--jobs", "1")
    assert rebuilt.exit_code == 0 and invoke("check", "--index", index_dir).exit_code == 0


def test_check_of_a_sound_index(pristine):
    _, index_dir = pristine
    result = run_cli("check", "--index", index_dir)
    assert result.returncode == 0
    verified = r"\(\d+ files, \d+\.\d MB, 2 reports; sizes and checksums verified\)\n"
    assert re.fullmatch(r"index ok: gen-000002 " + verified, result.stdout)
    assert result.stderr == ""


def test_check_of_a_missing_index(tmp_path):
    result = run_cli("check", "--index", tmp_path / "none")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"no index at {tmp_path / 'none'}: build it with `dmreports ingest`\n"


def test_check_help_has_an_example():
    result = run_cli("check", "--help")
    assert result.returncode == 0
    assert "Example: dmreports check --index instance/index" in result.stdout


def test_a_damaged_index_is_one_line_from_a_real_process(damaged):
    # No traceback, whatever Whoosh would have made of the damaged files.
    _, index_dir, line = damaged
    result = run_cli("search", "qserv", "--index", index_dir)
    assert (result.returncode, result.stderr) == (2, line + "\n")


def test_the_manifest_lists_every_file_of_the_generation(pristine):
    _, index_dir = pristine
    current = json.loads(generation(index_dir))["generation"]
    gen = index_dir / f"gen-{current:06d}"
    manifest = json.loads((gen / health.MANIFEST).read_text())
    data_files = {
        p.name for p in gen.iterdir() if p.name != health.MANIFEST and not p.name.endswith("LOCK")
    }
    assert set(manifest["files"]) == data_files
    for name, entry in manifest["files"].items():
        content = (gen / name).read_bytes()
        stat = (gen / name).stat()
        # The stamp: the file the checksum was taken of (inode, last write).
        stamp = {"inode": stat.st_ino, "mtime_ns": stat.st_mtime_ns}
        assert entry == {"size": len(content), "crc32": zlib.crc32(content), **stamp}


def _flip_in_place(path: Path, offset: int) -> None:
    # A change behind the file system's back (a failing disk): same inode, times put back.
    stat = path.stat()
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_files_as_their_ingest_stamped_them_are_not_read_on_open(pristine, monkeypatch):
    _, index_dir = pristine
    health.forget_verified()
    read = count_checksums(monkeypatch)
    assert search(Index(index_dir), SearchRequest(q="pipelines")).total > 0
    assert read == []
    # `dmreports check` reads every byte whatever the stamps say.
    assert invoke("check", "--index", index_dir).exit_code == 0
    gen = index_dir / f"gen-{json.loads(generation(index_dir))['generation']:06d}"
    listed = json.loads((gen / health.MANIFEST).read_text())["files"]
    assert sorted(read) == sorted(listed)


def test_a_copied_index_is_checksummed_on_open(pristine, tmp_path):
    # A copy (a restore from a backup) keeps the times but not the inodes: the
    # stamps vouch for nothing, every file is checksummed, a change is named.
    _, source = pristine
    index_dir = tmp_path / "index"
    shutil.copytree(source, index_dir, copy_function=shutil.copy2)
    gen = index_dir / f"gen-{json.loads(generation(index_dir))['generation']:06d}"
    seg = _segment(gen)
    _flip_in_place(seg, seg.stat().st_size // 2)
    health.forget_verified()
    result = invoke("search", "pipelines", "--index", index_dir)
    line = f"index damaged: {gen.name} ({seg.name} changed since it was written); {REPAIR}"
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")


def test_check_names_a_change_the_stamps_cannot_see(pristine, tmp_path):
    folder, source = pristine
    index_dir = tmp_path / "index"
    shutil.copytree(source, index_dir, copy_function=shutil.copy2)
    gen = index_dir / f"gen-{json.loads(generation(index_dir))['generation']:06d}"
    health.write_manifest(gen)  # the copy's own stamps, as its ingest would write them
    seg = _segment(gen)
    _flip_in_place(seg, seg.stat().st_size // 2)
    health.forget_verified()
    result = invoke("check", "--index", index_dir)
    line = f"index damaged: {gen.name} ({seg.name} changed since it was written); {REPAIR}"
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")


def test_a_manifest_without_stamps_is_checksummed_on_open(pristine, tmp_path, monkeypatch):
    # Manifests written before stamps were kept: every file a searcher reads is checksummed.
    _, source = pristine
    index_dir = tmp_path / "index"
    shutil.copytree(source, index_dir)
    gen = index_dir / f"gen-{json.loads(generation(index_dir))['generation']:06d}"
    health.write_manifest(gen)
    manifest = json.loads((gen / health.MANIFEST).read_text())
    for entry in manifest["files"].values():
        del entry["inode"], entry["mtime_ns"]
    (gen / health.MANIFEST).write_text(json.dumps(manifest))
    health.forget_verified()
    read = count_checksums(monkeypatch)
    assert search(Index(index_dir), SearchRequest(q="pipelines")).total > 0
    assert sorted(read) == sorted(n for n in manifest["files"] if not is_store_file(n))


def test_any_file_a_generation_holds_is_covered(tmp_path):
    # Whatever a commit leaves in the folder (another store beside Whoosh's files) is listed.
    gen = tmp_path / "gen-000001"
    gen.mkdir()
    (gen / "history.sqlite").write_bytes(b"SQLite format 3\0" + bytes(5000))
    (gen / "MAIN_WRITELOCK").write_bytes(b"")
    health.write_manifest(gen)
    assert health.verify(gen).files == 1
    _overwrite(gen / "history.sqlite", 100, b"x")
    health.forget_verified()
    with pytest.raises(IndexDamaged) as error:
        health.verify(gen)
    assert str(error.value) == (
        f"index damaged: gen-000001 (history.sqlite changed since it was written); {REPAIR}"
    )
    # Sizes are checked on every open, checksums once per process and manifest.
    health.write_manifest(gen)
    assert health.verify(gen).verified
    _overwrite(gen / "history.sqlite", 200, b"y")
    assert health.verify(gen).verified  # same size: only a checksum sees it...
    with pytest.raises(IndexDamaged):
        health.verify(gen, cached=False)  # ...as `dmreports check` does


def copy_without_manifests(source: Path, index_dir: Path) -> dict:
    """Copy an index as it was written before manifests were kept; return its CURRENT pointer."""
    shutil.copytree(source, index_dir, copy_function=shutil.copy2)
    for manifest in index_dir.glob(f"gen-*/{health.MANIFEST}"):
        manifest.unlink()
    # Generations written before manifests had no postings arrays either.
    for arrays in index_dir.glob("gen-*/*.arr"):
        arrays.unlink()
    pointer = json.loads(generation(index_dir))
    del pointer["manifest"]
    (index_dir / "CURRENT").write_text(json.dumps(pointer))
    return pointer


def test_an_index_without_manifests_still_opens(pristine, tmp_path):
    # An index written before manifests were kept: read unverified, and the
    # next ingest that changes it writes the manifest of its new generation.
    folder, source = pristine
    index_dir = tmp_path / "index"
    pointer = copy_without_manifests(source, index_dir)
    assert search(Index.open(index_dir), SearchRequest(q=marker(MONTHS[0]))).total > 0
    result = invoke("check", "--index", index_dir)
    assert result.exit_code == 0
    assert "read, but not verified" in result.stdout
    write_month(folder.parent / "later", "2017-11")
    added = invoke("ingest", folder, folder.parent / "later", "--index", index_dir, "--jobs", "1")
    assert added.exit_code == 0, added.stderr
    assert "sizes and checksums verified" in invoke("check", "--index", index_dir).stdout
    assert os.path.exists(index_dir / f"gen-{pointer['generation'] + 1:06d}" / health.MANIFEST)


# Damage to a generation written before manifests were kept: nothing vouches for
# its files, so what Whoosh raises reading them (struct.error, EOFError,
# TypeError, a bare Exception...) is the damage, named in the same one line.
OLD_DAMAGES = (
    "seg_empty",
    "seg_half",
    "toc_empty",
    "toc_100_bytes",
    "seg_random_50kb",
    "seg_deleted",
    "toc_deleted",
)
OLD_LINE = (
    r"index damaged: gen-000002 \((unreadable: [\w.]+|files missing)\); " + re.escape(REPAIR) + "\n"
)


@pytest.fixture(params=OLD_DAMAGES)
def old_damaged(request, pristine, tmp_path):
    """A manifest-less copy of the index with its current generation damaged."""
    folder, source = pristine
    index_dir = tmp_path / "index"
    pointer = copy_without_manifests(source, index_dir)
    DAMAGES[request.param](index_dir / f"gen-{pointer['generation']:06d}")
    health.forget_verified()
    return folder, index_dir


def test_an_unreadable_old_generation_is_one_line_in_every_command(old_damaged):
    folder, index_dir = old_damaged
    before = generation(index_dir)
    searched = run_cli("search", "qserv", "--index", index_dir)
    assert (searched.returncode, searched.stdout) == (2, ""), searched.stderr
    assert re.fullmatch(OLD_LINE, searched.stderr)
    checked = run_cli("check", "--index", index_dir)
    assert (checked.returncode, checked.stdout) == (2, ""), checked.stderr
    assert re.fullmatch(OLD_LINE, checked.stderr)
    # Nothing changed in the files: an incremental ingest still reads it all first.
    ingested = run_cli("ingest", folder, "--index", index_dir, "--jobs", "1")
    assert (ingested.returncode, ingested.stdout) == (2, ""), ingested.stderr
    assert re.fullmatch(OLD_LINE, ingested.stderr)
    write_month(folder.parent / "more", "2017-10")
    more = run_cli("ingest", folder, folder.parent / "more", "--index", index_dir, "--jobs", "1")
    assert (more.returncode, more.stdout) == (2, ""), more.stderr
    assert re.fullmatch(OLD_LINE, more.stderr)
    assert generation(index_dir) == before


def test_an_unreadable_old_generation_is_a_503_in_the_web(old_damaged):
    _, index_dir = old_damaged
    client = create_app(index_dir).test_client()
    for path in ("/", "/reports", "/milestones", "/ref/DM-12256", "/wbs/1.02C.03"):
        page = client.get(path)
        assert page.status_code == 503, path
        twin = client.get(path.rstrip("/") + ".json" if path != "/" else "/search.json")
        assert twin.status_code == 503, path
        assert re.fullmatch(OLD_LINE, twin.get_json()["error"] + "\n"), path
        assert twin.get_json()["error"].encode() in page.data.replace(b"&#96;", b"`"), path


def test_an_unreadable_old_generation_is_rebuilt_by_a_full_ingest(old_damaged):
    folder, index_dir = old_damaged
    result = run_cli("ingest", folder, "--index", index_dir, "--full", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    notice = OLD_LINE.removesuffix("; " + re.escape(REPAIR) + "\n")
    assert re.fullmatch(f"notice: {notice}; rebuilding it from the given paths\n", result.stderr)
    assert re.fullmatch(summary_re(added=2), result.stdout.splitlines()[-1])
    checked = run_cli("check", "--index", index_dir)
    assert checked.returncode == 0, checked.stderr
    assert "sizes and checksums verified" in checked.stdout


@pytest.mark.parametrize("old", [False, True], ids=["with-manifest", "without-manifest"])
def test_serve_answers_503_on_a_damaged_index_without_a_traceback(pristine, tmp_path, old):
    from tests.test_web_serve import fetch, start_serve

    _, source = pristine
    index_dir = tmp_path / "index"
    shutil.copytree(source, index_dir, copy_function=shutil.copy2)
    pointer = json.loads(generation(index_dir))
    if old:
        for manifest in index_dir.glob(f"gen-*/{health.MANIFEST}"):
            manifest.unlink()
        del pointer["manifest"]
        (index_dir / "CURRENT").write_text(json.dumps(pointer))
    toc_100_bytes(index_dir / f"gen-{pointer['generation']:06d}")
    process, base = start_serve(index_dir, "--workers", "1")
    try:
        answers = []
        for path in ("/", "/reports", "/api/search?q=qserv"):
            with pytest.raises(urllib.error.HTTPError) as error:
                fetch(base + path)
            answers.append((error.value.code, error.value.read()))
            error.value.close()
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
    assert [code for code, _ in answers] == [503, 503, 503]
    line = json.loads(answers[2][1])["error"]
    assert re.fullmatch(
        OLD_LINE if old else r"index damaged: gen-000002 \(\S+ truncated\); .*\n", line + "\n"
    )
    assert all(line.encode() in body.replace(b"&#96;", b"`") for _, body in answers)
    assert "Traceback" not in err
