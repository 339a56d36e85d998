"""`genoclass datasets fetch` with hostile names, folders and archives: each is refused with
one line and exit 2, and a snapshot of the whole test folder (sentinel files outside the
cache, a folder with content where a bad name points) proves nothing was written or deleted."""

from __future__ import annotations

import io
import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from genoclass.cli import main
from genoclass.io import fetch

NAME = "human_nontata_promoters"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A cache, a secret file and a victim folder outside it; downloads go to a closed port."""
    cache = tmp_path / "cache"
    (cache / "genomic_benchmarks").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET")
    victim = tmp_path / "victim"
    (victim / "keep").mkdir(parents=True)
    (victim / "keep" / "data.txt").write_text("precious")
    monkeypatch.setenv("GENOCLASS_CACHE", str(cache))
    monkeypatch.setenv("GENOCLASS_GB_URL", "http://127.0.0.1:9")  # never the network
    return tmp_path


def snapshot(root: Path) -> dict[str, object]:
    """Every path below ``root`` with its content, link target or kind (links not followed)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for entry in (*dirnames, *filenames):
            path = Path(dirpath, entry)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                found[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                found[str(path)] = path.read_bytes()
            else:
                found[str(path)] = stat.S_IFMT(mode)
    return found


def refused(argv: list[str], root: Path, capsys) -> str:
    """Run ``datasets fetch ARGV``; assert exit 2, one line, nothing changed; return the line."""
    before = snapshot(root)
    assert main(["datasets", "fetch", *argv]) == 2
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("genoclass: error: ") and "Traceback" not in err
    assert snapshot(root) == before
    return err


def dataset_folder(parent: Path, name: str = NAME) -> Path:
    """A tiny valid Genomic Benchmarks folder ``parent/name``."""
    for split in ("train", "test"):
        for label in ("positive", "negative"):
            (parent / name / split / label).mkdir(parents=True)
            (parent / name / split / label / "0.txt").write_text("ACGTACGT")
    return parent / name


def dataset_zip(path: Path, *extra: tuple[zipfile.ZipInfo | str, bytes]) -> Path:
    """A tiny valid dataset zip plus ``extra`` (entry, data) members, the extra deflated."""
    with zipfile.ZipFile(path, "w") as zf:
        for split in ("train", "test"):
            for label in ("positive", "negative"):
                zf.writestr(f"{NAME}/{split}/{label}/0.txt", "ACGTACGT")
        for entry, data in extra:
            zf.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def patch_entry(path: Path, member: str, *, set_flags: int = 0, file_size: int | None = None):
    """Rewrite ``member``'s flag bits and declared size in its local and central headers."""
    data = bytearray(path.read_bytes())
    encoded = member.encode()
    # (signature, offset of flags, offset of uncompressed size, offset of the name)
    for signature, flags_at, size_at, name_at in (
        (b"PK\x03\x04", 6, 22, 30),
        (b"PK\x01\x02", 8, 24, 46),
    ):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at : start + name_at + len(encoded)] == encoded:
                flags = int.from_bytes(data[start + flags_at : start + flags_at + 2], "little")
                data[start + flags_at : start + flags_at + 2] = (flags | set_flags).to_bytes(
                    2, "little"
                )
                if file_size is not None:
                    data[start + size_at : start + size_at + 4] = file_size.to_bytes(4, "little")
            start += 4
    path.write_bytes(bytes(data))


BAD_NAMES = ["../x", "../../victim", "sub/name", "", ".", "..", ".hidden", "a..b", "x\n", "..\\x"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_traversal_and_odd_names_are_refused(env, capsys, name):
    archive = dataset_zip(env / "ok.zip")
    err = refused([name, "--from", str(archive)], env, capsys)
    assert "invalid dataset name" in err and repr(name) in err


def test_absolute_names_pointing_at_a_folder_with_content_are_refused(env, capsys):
    archive = dataset_zip(env / "ok.zip")
    for name in (str(env / "victim"), "/../../../.." + str(env / "victim")):
        err = refused([name, "--from", str(archive)], env, capsys)
        assert "invalid dataset name" in err and repr(name) in err
        err = refused([name], env, capsys)  # without --from only registered names exist
        assert "unknown dataset" in err and repr(name) in err


def test_folder_genoclass_did_not_create_is_never_replaced(env, capsys):
    archive = dataset_zip(env / "ok.zip")
    target = env / "cache" / "genomic_benchmarks" / NAME
    (target / "mine").mkdir(parents=True)
    (target / "mine" / "notes.txt").write_text("do not delete")
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{target}: exists but genoclass did not create it" in err
    err = refused([NAME], env, capsys)  # a download would replace it too: refused first
    assert "genoclass did not create it" in err
    dataset_folder(target.parent, "custom")  # a dataset laid out by hand, no marker
    err = refused(["custom", "--from", str(archive)], env, capsys)
    assert "custom: exists but genoclass did not create it" in err


def test_dataset_genoclass_created_is_replaced(env, capsys):
    first = dataset_zip(env / "first.zip")
    assert main(["datasets", "fetch", NAME, "--from", str(first)]) == 0
    source = dataset_folder(env / "src")
    (source / "train" / "positive" / "0.txt").write_text("TTTT")
    assert main(["datasets", "fetch", NAME, "--from", str(source)]) == 0
    target = env / "cache" / "genomic_benchmarks" / NAME
    assert (target / "train" / "positive" / "0.txt").read_text() == "TTTT"
    assert sorted(p.name for p in target.parent.iterdir()) == [NAME]  # no temp folder left


def test_cached_name_that_is_a_link_is_refused(env, capsys):
    dataset_folder(env / "victim")
    link = env / "cache" / "genomic_benchmarks" / NAME
    link.symlink_to(env / "victim" / NAME)
    for argv in ([NAME], [NAME, "--from", str(dataset_zip(env / "ok.zip"))]):
        err = refused(argv, env, capsys)
        assert f"{link}: is a symbolic link or lies outside the dataset cache" in err


@pytest.mark.parametrize(
    ("where", "points_to"),
    [
        ("train/positive/1.txt", "OUTSIDE/secret.txt"),  # a secret file outside
        ("train/positive/up", ".."),  # a loop through the parent
        ("train/negative/a", "b"),  # a loop between two links
        ("test/positive/root", "OUTSIDE"),  # the root of another tree
        ("test/negative/1.txt", "0.txt"),  # a file link inside the folder
        ("train", "OUTSIDE"),  # a whole split
    ],
)
def test_links_in_an_imported_folder_are_refused(env, capsys, where, points_to):
    source = dataset_folder(env / "src")
    link = source / where
    if link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(points_to.replace("OUTSIDE", str(env / "outside")))
    links = [link]
    if where.endswith("/a"):
        links.append(link.parent / "b")
        links[1].symlink_to("a")
    err = refused([NAME, "--from", str(source)], env, capsys)
    assert any(f"{path}: symbolic link in dataset folder" in err for path in links), err


def test_linked_dataset_subfolder_and_special_file_are_refused(env, capsys):
    parent = env / "parent"
    parent.mkdir()
    (parent / NAME).symlink_to(dataset_folder(env / "elsewhere"))
    err = refused([NAME, "--from", str(parent)], env, capsys)
    assert f"{parent / NAME}: symbolic link in dataset folder" in err
    source = dataset_folder(env / "src")
    os.mkfifo(source / "train" / "positive" / "pipe.txt")  # copying it would block forever
    err = refused([NAME, "--from", str(source)], env, capsys)
    assert "pipe.txt: not a regular file or folder" in err


def test_folder_given_as_a_link_is_followed(env, capsys):
    (env / "shortcut").symlink_to(dataset_folder(env / "src"))
    assert main(["datasets", "fetch", NAME, "--from", str(env / "shortcut")]) == 0
    assert (env / "cache" / "genomic_benchmarks" / NAME / "test" / "negative" / "0.txt").is_file()


def test_zip_bomb_is_refused_from_its_directory(env, capsys):
    archive = dataset_zip(env / "bomb.zip", (f"{NAME}/train/positive/1.txt", b"A" * 4_000_000))
    assert archive.stat().st_size < 10_000
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{archive}: unpacks {archive.stat().st_size:,} bytes to 4,000,032," in err
    assert "more than the limit of 100:1" in err


def test_size_and_entry_limits(env, capsys, monkeypatch):
    archive = dataset_zip(env / "big.zip", (f"{NAME}/train/positive/1.txt", bytes(range(256)) * 8))
    monkeypatch.setattr(fetch, "MAX_UNPACKED_BYTES", 1_000)
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{archive}: dataset too large: 2,080 bytes; the limit is 1,000" in err
    monkeypatch.setattr(fetch, "MAX_MEMBERS", 4)
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{archive}: dataset too large: 5 files and folders; the limit is 4" in err
    source = dataset_folder(env / "src")  # folders have the same limits
    err = refused([NAME, "--from", str(source)], env, capsys)
    assert f"{source}: dataset too large: 10 files and folders; the limit is 4" in err
    monkeypatch.setattr(fetch, "MAX_MEMBERS", 10)
    monkeypatch.setattr(fetch, "MAX_UNPACKED_BYTES", 20)
    err = refused([NAME, "--from", str(source)], env, capsys)
    assert f"{source}: dataset too large: 32 bytes; the limit is 20" in err


def test_lying_size_header_is_caught_while_unpacking(env, capsys):
    member = f"{NAME}/train/positive/1.txt"
    archive = dataset_zip(env / "liar.zip", (member, b"A" * 1_000_000))
    patch_entry(archive, member, file_size=100)  # passes the directory checks
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{archive}: member {member}: corrupt data (Bad CRC-32" in err


def test_unpacking_stops_at_the_declared_size_whatever_the_reader_returns(env, capsys, monkeypatch):
    archive = dataset_zip(env / "ok.zip")
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info: io.BytesIO(b"A" * 50))
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{archive}: member {NAME}/" in err and "holds more than the 8 bytes recorded" in err


def link_entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            link_entry(f"{NAME}/train/positive/1.txt", stat.S_IFLNK | 0o777),
            "symbolic link in archive",
        ),
        (link_entry(f"{NAME}/train/positive/1.txt", stat.S_IFIFO | 0o644), "special file"),
        (f"{NAME}/../../evil.txt", "unsafe path in archive"),
        (f"{NAME}/train/positive/0.txt", "duplicate archive member"),
    ],
)
def test_bad_zip_entries_are_refused(env, capsys, entry, message):
    archive = dataset_zip(env / "bad.zip", (entry, b"/etc/passwd"))
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{archive}: {message}" in err and f"{NAME}/" in err


def test_encrypted_zip_is_refused(env, capsys):
    member = f"{NAME}/train/positive/1.txt"
    archive = dataset_zip(env / "locked.zip", (member, b"ACGT" * 10))
    patch_entry(archive, member, set_flags=0x1)
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{archive}: encrypted archive member; genoclass reads only unencrypted zips" in err
    assert repr(member) in err


def test_truncated_and_corrupt_zips_are_input_errors(env, capsys):
    member = f"{NAME}/train/positive/1.txt"
    archive = dataset_zip(env / "cut.zip", (member, os.urandom(4_000)))
    whole = archive.read_bytes()
    archive.write_bytes(whole[: len(whole) // 2])
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{archive}: not a valid zip archive" in err
    data_at = whole.index(member.encode()) + len(member)  # the member's data follows its name
    archive.write_bytes(whole[: data_at + 100] + b"\xff" * 64 + whole[data_at + 164 :])
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{archive}: member {member}: corrupt data (Bad CRC-32" in err
    archive = dataset_zip(env / "broken.zip", (member, b"ACGT" * 1_000))
    whole = archive.read_bytes()
    data_at = whole.index(member.encode()) + len(member)
    archive.write_bytes(whole[:data_at] + b"\xff" * 8 + whole[data_at + 8 :])  # bad block type
    err = refused([NAME, "--from", str(archive)], env, capsys)
    assert f"{archive}: member {member}: corrupt data (Error -3" in err
