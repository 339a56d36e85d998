"""Dataset downloads against a local HTTP server: success, checksum, truncation, bombs, imports."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile

import pytest

from genoclass.errors import InputError
from genoclass.io.fetch import GB_DATASETS, DownloadError, fetch_dataset, list_datasets
from genoclass.io.sequences import read_sequences

NAME = "dummy_mouse_enhancers_ensembl"


def gb_zip(name: str = NAME, with_test: bool = True) -> bytes:
    """A tiny Genomic Benchmarks archive laid out like the Zenodo files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        splits = ("train", "test") if with_test else ("train",)
        for split in splits:
            for label, seq in (("positive", "ACGTAC"), ("negative", "GGTTAA")):
                for i in range(3):
                    zf.writestr(f"{name}/{split}/{label}/{i}.txt", seq)
    return buffer.getvalue()


@pytest.fixture
def server():
    """Serve ``routes`` (path -> (bytes, declared length)) on 127.0.0.1; yield base URL."""
    routes: dict[str, tuple[bytes, int]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            body, length = routes.get(self.path, (b"", -1))
            if length < 0:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(body)  # fewer bytes than declared = a dropped connection

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield base, routes
    httpd.shutdown()
    httpd.server_close()


def cache_is_clean(cache) -> bool:
    """No dataset folder and no temporary files left in the cache."""
    root = cache / "genomic_benchmarks"
    return not root.exists() or not any(root.iterdir())


def test_download_success_then_readable(server, tmp_path):
    base, routes = server
    payload = gb_zip()
    routes[f"/{NAME}_v0.zip"] = (payload, len(payload))
    path = fetch_dataset(NAME, base_url=base, cache=tmp_path, progress=False)
    assert path == tmp_path / "genomic_benchmarks" / NAME
    assert sorted(p.name for p in path.parent.iterdir()) == [NAME]
    data = read_sequences(path, format="gb")
    assert len(data.table) == 12
    assert set(data.table["split"]) == {"train", "test"}
    listed = {row["name"]: row for row in list_datasets(cache=tmp_path)}
    assert listed[NAME]["cached"] and not listed["demo_human_or_worm"]["cached"]
    routes.clear()  # a cached dataset needs no server
    assert fetch_dataset(NAME, base_url=base, cache=tmp_path, progress=False) == path


def test_base_url_from_environment(server, tmp_path, monkeypatch):
    base, routes = server
    payload = gb_zip()
    routes[f"/{NAME}_v0.zip"] = (payload, len(payload))
    monkeypatch.setenv("GENOCLASS_GB_URL", base)
    monkeypatch.setenv("GENOCLASS_CACHE", str(tmp_path))
    assert fetch_dataset(NAME, progress=False).is_dir()


def test_checksum_mismatch_leaves_cache_clean(server, tmp_path, monkeypatch):
    base, routes = server
    payload = gb_zip()
    routes[f"/{NAME}_v0.zip"] = (payload, len(payload))
    monkeypatch.setitem(GB_DATASETS, NAME, {**GB_DATASETS[NAME], "sha256": "0" * 64})
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetch_dataset(NAME, base_url=base, cache=tmp_path, progress=False)
    assert cache_is_clean(tmp_path)
    good = hashlib.sha256(payload).hexdigest()
    monkeypatch.setitem(GB_DATASETS, NAME, {**GB_DATASETS[NAME], "sha256": good})
    assert fetch_dataset(NAME, base_url=base, cache=tmp_path, progress=False).is_dir()


def test_interrupted_download_leaves_cache_clean(server, tmp_path):
    base, routes = server
    payload = gb_zip()
    routes[f"/{NAME}_v0.zip"] = (payload[:100], len(payload))
    expected = f"download incomplete: received 100 of {len(payload):,} bytes"
    with pytest.raises(DownloadError, match=expected):
        fetch_dataset(NAME, base_url=base, cache=tmp_path, progress=False)
    assert cache_is_clean(tmp_path)


def test_http_error_and_bad_archive(server, tmp_path):
    base, routes = server
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch_dataset(NAME, base_url=base, cache=tmp_path, progress=False)
    routes[f"/{NAME}_v0.zip"] = (b"not a zip", 9)
    with pytest.raises(DownloadError, match="not a valid zip archive"):
        fetch_dataset(NAME, base_url=base, cache=tmp_path, progress=False)
    payload = gb_zip(with_test=False)
    routes[f"/{NAME}_v0.zip"] = (payload, len(payload))
    with pytest.raises(DownloadError, match="expected train/ and test/"):
        fetch_dataset(NAME, base_url=base, cache=tmp_path, progress=False)
    assert cache_is_clean(tmp_path)


def test_downloaded_zip_bomb_is_refused_before_unpacking(server, tmp_path):
    base, routes = server
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{NAME}/train/positive/0.txt", b"A" * 20_000_000)
    payload = buffer.getvalue()
    routes[f"/{NAME}_v0.zip"] = (payload, len(payload))
    expected = f"{base}/{NAME}_v0.zip: unpacks {len(payload):,} bytes to 20,000,000, more than"
    with pytest.raises(DownloadError, match=expected):
        fetch_dataset(NAME, base_url=base, cache=tmp_path, progress=False)
    assert cache_is_clean(tmp_path)


def test_import_from_local_zip_and_folder(tmp_path):
    archive = tmp_path / "local.zip"
    archive.write_bytes(gb_zip())
    cache = tmp_path / "cache"
    path = fetch_dataset(NAME, cache=cache, from_path=archive, progress=False)
    assert len(read_sequences(path, format="gb").table) == 12
    folder = tmp_path / "unpacked"
    zipfile.ZipFile(archive).extractall(folder)
    (folder / NAME / "train" / "positive" / "0.txt").write_text("TTTTTT")
    path = fetch_dataset(NAME, cache=cache, from_path=folder / NAME, progress=False)
    assert "TTTTTT" in read_sequences(path, format="gb").table["sequence"].tolist()
    assert sorted(p.name for p in path.parent.iterdir()) == [NAME]


def test_unknown_dataset_lists_known_ones(tmp_path):
    with pytest.raises(InputError, match="unknown dataset 'nope'; datasets: dummy_mouse"):
        fetch_dataset("nope", cache=tmp_path, progress=False)


def test_catalogue_covers_the_s0_datasets(tmp_path):
    names = {row["name"] for row in list_datasets(cache=tmp_path)}
    assert names == {
        "dummy_mouse_enhancers_ensembl",
        "demo_coding_vs_intergenomic_seqs",
        "demo_human_or_worm",
        "drosophila_enhancers_stark",
        "human_enhancers_cohn",
        "human_enhancers_ensembl",
        "human_nontata_promoters",
    }
    assert all(info["url"].startswith("https://zenodo.org/") for info in GB_DATASETS.values())
