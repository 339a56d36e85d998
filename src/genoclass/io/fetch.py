"""Genomic Benchmarks datasets fetched into a local cache, verified and unpacked atomically.

The archives are the ones the ``genomic-benchmarks`` package downloads from its Zenodo
cache (record 16605299, files ``{name}_v0.zip``, each holding
``{name}/{train,test}/{class}/*.txt``). A download goes to a temporary folder inside the
cache and only a complete, verified dataset is renamed into place, so an interrupted
download never leaves a partial dataset or stray files behind.

Names, archives and folders are untrusted: a dataset name is a plain folder name inside
the cache, archives and folders may hold only regular files and folders (no symbolic
links, no encryption) within the limits below, and genoclass replaces only a cached
dataset that carries the marker file it wrote when it created that dataset.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import lzma
import os
import re
import shutil
import stat
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tqdm import tqdm

from genoclass.errors import InputError

GB_ZENODO_URL = "https://zenodo.org/records/16605299/files"
GB_URL_ENV = "GENOCLASS_GB_URL"
CACHE_ENV = "GENOCLASS_CACHE"
GB_SUBDIR = "genomic_benchmarks"
_CHUNK = 1 << 20
_TIMEOUT_S = 60

#: Most bytes one dataset may unpack (or copy) to: 2 GiB. The largest registered dataset
#: holds about 40 MB of sequence text, so this leaves ample room for real data.
MAX_UNPACKED_BYTES = 2 << 30
#: Most files and folders one archive or dataset folder may hold (the largest registered
#: dataset has about 155,000 files).
MAX_MEMBERS = 1_000_000
#: Most unpacked bytes per byte of archive. DNA text deflates about 3:1; a zip bomb
#: reaches 1,000:1 and more.
MAX_RATIO = 100
#: A dataset name: a plain folder name (no separators, no leading dot, no ``..``).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: The file genoclass writes into every dataset it installs; only such a folder is ever
#: replaced.
MARKER = ".genoclass-dataset.json"
_PLAIN_TYPES = (stat.S_IFREG, stat.S_IFDIR, 0)  # 0: the archive records no file type


def _gb_entry(name: str, sequences: int, median_length: int) -> dict:
    file = f"{name}_v0.zip"
    return {
        "file": file,
        "url": f"{GB_ZENODO_URL}/{file}?download=1",
        "sha256": None,  # the upstream package publishes no checksums
        "version": 0,
        "classes": 2,
        "sequences": sequences,
        "median_length": median_length,
    }


#: The Genomic Benchmarks datasets of the S0 study: name -> download and shape facts.
GB_DATASETS: dict[str, dict] = {
    "dummy_mouse_enhancers_ensembl": _gb_entry("dummy_mouse_enhancers_ensembl", 1_210, 2_381),
    "demo_coding_vs_intergenomic_seqs": _gb_entry("demo_coding_vs_intergenomic_seqs", 100_000, 200),
    "demo_human_or_worm": _gb_entry("demo_human_or_worm", 100_000, 200),
    "drosophila_enhancers_stark": _gb_entry("drosophila_enhancers_stark", 6_914, 2_142),
    "human_enhancers_cohn": _gb_entry("human_enhancers_cohn", 27_791, 500),
    "human_enhancers_ensembl": _gb_entry("human_enhancers_ensembl", 154_842, 269),
    "human_nontata_promoters": _gb_entry("human_nontata_promoters", 36_131, 251),
}


class DownloadError(InputError):
    """A download failed, was cut short or does not match its checksum or layout."""


def cache_dir() -> Path:
    """Root of genoclass's cache: ``$GENOCLASS_CACHE`` or ``~/.cache/genoclass``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "genoclass")


def list_datasets(cache: str | Path | None = None) -> list[dict]:
    """The downloadable datasets with their size facts and whether each is cached."""
    root = Path(cache or cache_dir()) / GB_SUBDIR
    rows = []
    for name, info in GB_DATASETS.items():
        cached = _is_dataset(root / name)
        rows.append(
            {
                "name": name,
                "sequences": info["sequences"],
                "classes": info["classes"],
                "median_length": info["median_length"],
                "url": info["url"],
                "cached": cached,
                "path": str(root / name) if cached else None,
            }
        )
    return rows


def fetch_dataset(
    name: str,
    *,
    base_url: str | None = None,
    cache: str | Path | None = None,
    from_path: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Download (or import from a local zip or folder) a dataset; return its cached folder.

    The folder has the Genomic Benchmarks layout that ``read_sequences(format="gb")``
    reads. ``name`` is a registered dataset or, with ``from_path``, a plain folder name. A
    cached dataset is returned as is unless ``from_path`` asks to replace it, and only a
    dataset that genoclass installed itself is ever replaced; ``base_url`` (or
    ``$GENOCLASS_GB_URL``) replaces the Zenodo address. Failures raise
    :class:`InputError` or :class:`DownloadError` and leave the cache as it was.
    """
    info = _check_name(name, from_path)
    root = Path(cache or cache_dir()) / GB_SUBDIR
    target = _target(root, name)
    if from_path is None and _is_dataset(target):
        return target
    if os.path.lexists(target) and not _made_by_genoclass(target):
        raise InputError(
            f"exists but genoclass did not create it (no {MARKER}); "
            "move or remove it yourself, or choose another name",
            path=target,
        )
    root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=root))
    try:
        staged = _stage(name, info, workdir, base_url, from_path, progress)
        (staged / MARKER).write_text(json.dumps({"created_by": "genoclass", "name": name}))
        _install(staged, target, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return target


def _check_name(name: str, from_path: str | Path | None) -> dict | None:
    """The registry entry of ``name`` (None for an import under a new plain name)."""
    info = GB_DATASETS.get(name)
    if info is None and from_path is None:
        raise InputError(f"unknown dataset {name!r}; datasets: {', '.join(GB_DATASETS)}")
    if info is None and (not NAME_PATTERN.fullmatch(name) or ".." in name):
        raise InputError(
            "invalid dataset name (1-100 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit, no '..')",
            value=name,
        )
    return info


def _target(root: Path, name: str) -> Path:
    """The dataset's folder in the cache, refused if it is a link or resolves elsewhere."""
    target = root / name
    if target.is_symlink() or target.resolve().parent != root.resolve():
        raise InputError(
            "is a symbolic link or lies outside the dataset cache; genoclass neither "
            "follows nor replaces it",
            path=target,
        )
    return target


def _made_by_genoclass(folder: Path) -> bool:
    """Whether ``folder`` is a real folder holding the marker genoclass writes on install."""
    marker = folder / MARKER
    if folder.is_symlink() or marker.is_symlink() or not marker.is_file():
        return False
    try:
        with open(marker, "rb") as handle:
            content = json.loads(handle.read(4096))
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and content.get("created_by") == "genoclass"


def _stage(
    name: str,
    info: dict | None,
    workdir: Path,
    base_url: str | None,
    from_path: str | Path | None,
    progress: bool,
) -> Path:
    """Put a verified copy of the dataset inside ``workdir`` and return its folder."""
    if from_path is not None and Path(from_path).is_dir():
        folder = _dataset_root(Path(from_path).resolve(), str(from_path))
        return _copy_folder(folder, workdir / "copy")
    if from_path is not None:
        archive, source = Path(from_path), str(from_path)
        if not archive.is_file():
            raise InputError("no such file or folder", path=archive)
        digest = _sha256(archive)
    else:
        base = (base_url or os.environ.get(GB_URL_ENV) or "").rstrip("/")
        source = f"{base}/{info['file']}" if base else info["url"]
        archive = workdir / info["file"]
        digest = _download(source, archive, name if progress else None)
    expected = None if info is None else info["sha256"]
    if expected and digest != expected:
        raise DownloadError(
            f"checksum mismatch: expected sha256 {expected}, got {digest}", path=source
        )
    return _extract(archive, workdir / "unpacked", source)


def _download(url: str, dest: Path, label: str | None) -> str:
    """Stream ``url`` into ``dest`` and return its sha256; short or failed reads raise."""
    digest, received, expected = hashlib.sha256(), 0, None
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response, open(dest, "wb") as out:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            bar = tqdm(total=expected, unit="B", unit_scale=True, desc=label, disable=not label)
            with bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as err:
        raise DownloadError(f"download failed: HTTP {err.code} {err.reason}", path=url) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        reason = getattr(err, "reason", None) or err
        raise DownloadError(f"download failed or interrupted: {reason}", path=url) from None
    if expected is not None and received != expected:
        raise DownloadError(
            f"download incomplete: received {received:,} of {expected:,} bytes", path=url
        )
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _extract(archive: Path, dest: Path, source: str) -> Path:
    """Unpack a checked zip into ``dest`` and return the folder holding train/ and test/."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            _check_members(members, archive.stat().st_size, source)
            for info in members:
                _unpack(zf, info, dest, source)
    except (zipfile.BadZipFile, EOFError) as err:
        raise DownloadError(f"not a valid zip archive ({err})", path=source) from None
    return _dataset_root(dest, source)


def _check_members(members: list[zipfile.ZipInfo], packed: int, source: str) -> None:
    """Refuse, from the zip directory alone, unsafe, encrypted, linked or oversized entries."""
    total = sum(info.file_size for info in members)
    _check_totals(len(members), total, source)
    if total > MAX_RATIO * max(packed, 1):
        raise DownloadError(
            f"unpacks {packed:,} bytes to {total:,}, more than the limit of {MAX_RATIO}:1 "
            "(a zip bomb?)",
            path=source,
        )
    seen = set()
    for info in members:
        _check_member(info, source)
        parts = PurePosixPath(info.filename).parts
        if parts in seen:
            raise DownloadError("duplicate archive member", path=source, value=info.filename)
        seen.add(parts)


def _check_member(info: zipfile.ZipInfo, source: str) -> None:
    """Refuse one zip entry that escapes the folder, is encrypted or is not a file/folder."""
    name, parts = info.filename, PurePosixPath(info.filename).parts
    if not parts or name.startswith(("/", "\\")) or ".." in parts:
        raise DownloadError("unsafe path in archive", path=source, value=name)
    if info.flag_bits & 0x1:
        raise DownloadError(
            "encrypted archive member; genoclass reads only unencrypted zips, decrypt it first",
            path=source,
            value=name,
        )
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise DownloadError("symbolic link in archive", path=source, value=name)
    if kind not in _PLAIN_TYPES:
        raise DownloadError(
            "special file (not a file or folder) in archive", path=source, value=name
        )


def _check_totals(count: int, size: int, source: str) -> None:
    """Refuse a dataset with more entries or bytes than the limits allow."""
    if count > MAX_MEMBERS:
        raise DownloadError(
            f"dataset too large: {count:,} files and folders; the limit is {MAX_MEMBERS:,}",
            path=source,
        )
    if size > MAX_UNPACKED_BYTES:
        raise DownloadError(
            f"dataset too large: {size:,} bytes; the limit is {MAX_UNPACKED_BYTES:,}",
            path=source,
        )


def _unpack(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, source: str) -> None:
    """Write one checked zip entry below ``dest``, never more bytes than its header says."""
    out, where = dest.joinpath(*PurePosixPath(info.filename).parts), f"member {info.filename}"
    try:
        if info.is_dir():
            out.mkdir(parents=True, exist_ok=True)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as src:
            _copy_stream(src, out, info.file_size, source, where)
    except (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, NotImplementedError) as err:
        raise DownloadError(f"corrupt data ({err})", path=source, where=where) from None
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        raise DownloadError(
            "member clashes with another member", path=source, where=where
        ) from None


def _copy_folder(folder: Path, dest: Path) -> Path:
    """Copy a dataset folder of plain files and folders into ``dest``; links are refused."""
    entries = _folder_entries(folder)
    _check_totals(len(entries), sum(size or 0 for _, size in entries), str(folder))
    dest.mkdir()
    for path, size in entries:
        out = dest / path.relative_to(folder)
        if size is None:
            out.mkdir(exist_ok=True)
            continue
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as src:
            _copy_stream(src, out, size, path)
    return dest


def _folder_entries(folder: Path) -> list[tuple[Path, int | None]]:
    """Every file (with its size) and folder (size None) below ``folder``, parents first;
    a symbolic link or special file anywhere raises instead of being followed."""
    if folder.is_symlink():
        raise DownloadError(
            "symbolic link in dataset folder; genoclass copies no links", path=folder
        )
    entries: list[tuple[Path, int | None]] = []
    pending = [folder]
    while pending:
        with os.scandir(pending.pop()) as listing:
            for entry in listing:
                path = Path(entry.path)
                if entry.is_symlink():
                    raise DownloadError(
                        "symbolic link in dataset folder; genoclass copies no links", path=path
                    )
                if entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                    entries.append((path, None))
                elif entry.is_file(follow_symlinks=False):
                    entries.append((path, entry.stat(follow_symlinks=False).st_size))
                else:
                    raise DownloadError("not a regular file or folder", path=path)
    return entries


def _copy_stream(
    src: BinaryIO, out: Path, size: int, path: str | Path, where: str | None = None
) -> None:
    """Copy ``src`` into the new file ``out``, refusing any byte beyond the expected ``size``."""
    written = 0
    with open(out, "xb") as handle:
        while chunk := src.read(min(_CHUNK, size - written + 1)):
            written += len(chunk)
            if written > size:
                raise DownloadError(
                    f"holds more than the {size:,} bytes recorded for it", path=path, where=where
                )
            handle.write(chunk)


def _dataset_root(folder: Path, source: str) -> Path:
    """``folder`` or its only dataset subfolder, whichever holds train/ and test/."""
    if _is_dataset(folder):
        return folder
    candidates = [p for p in folder.iterdir() if _is_dataset(p)] if folder.is_dir() else []
    if len(candidates) != 1:
        raise DownloadError(
            "not a Genomic Benchmarks dataset: expected train/ and test/ folders", path=source
        )
    return candidates[0]


def _is_dataset(folder: Path) -> bool:
    return (folder / "train").is_dir() and (folder / "test").is_dir()


def _install(staged: Path, target: Path, workdir: Path) -> None:
    """Move a staged dataset into place; a dataset genoclass made there is swapped out whole."""
    previous = workdir / "previous"
    if os.path.lexists(target):
        target.rename(previous)
    try:
        staged.rename(target)
    except OSError:
        if previous.exists():
            previous.rename(target)
        raise
