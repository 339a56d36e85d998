"""Genomic Benchmarks datasets fetched into a local cache, verified and unpacked atomically.

The archives are the ones the ``genomic-benchmarks`` package downloads from its Zenodo
cache (record 16605299, files ``{name}_v0.zip``, each holding
``{name}/{train,test}/{class}/*.txt``). A download goes to a temporary folder inside the
cache and only a complete, verified dataset is renamed into place, so an interrupted
download never leaves a partial dataset or stray files behind.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from genoclass.errors import InputError

GB_ZENODO_URL = "https://zenodo.org/records/16605299/files"
GB_URL_ENV = "GENOCLASS_GB_URL"
CACHE_ENV = "GENOCLASS_CACHE"
GB_SUBDIR = "genomic_benchmarks"
_CHUNK = 1 << 20
_TIMEOUT_S = 60


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
    reads. A cached dataset is returned as is unless ``from_path`` asks to replace it;
    ``base_url`` (or ``$GENOCLASS_GB_URL``) replaces the Zenodo address. Failures raise
    :class:`DownloadError` and leave the cache as it was.
    """
    info = GB_DATASETS.get(name)
    if info is None and from_path is None:
        raise InputError(f"unknown dataset {name!r}; datasets: {', '.join(GB_DATASETS)}")
    root = Path(cache or cache_dir()) / GB_SUBDIR
    target = root / name
    if from_path is None and _is_dataset(target):
        return target
    root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=root))
    try:
        staged = _stage(name, info, workdir, base_url, from_path, progress)
        _install(staged, target, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return target


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
        folder = _dataset_root(Path(from_path), str(from_path))
        return Path(shutil.copytree(folder, workdir / "copy"))
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
            for member in zf.namelist():
                parts = PurePosixPath(member).parts
                if member.startswith(("/", "\\")) or ".." in parts:
                    raise DownloadError("unsafe path in archive", path=source, value=member)
            broken = zf.testzip()
            if broken is not None:
                raise DownloadError("corrupt archive member", path=source, value=broken)
            zf.extractall(dest)
    except (zipfile.BadZipFile, EOFError) as err:
        raise DownloadError(f"not a valid zip archive ({err})", path=source) from None
    return _dataset_root(dest, source)


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
    """Move a staged dataset into place; a dataset already there is swapped out whole."""
    previous = workdir / "previous"
    if target.exists():
        target.rename(previous)
    try:
        staged.rename(target)
    except OSError:
        if previous.exists():
            previous.rename(target)
        raise
