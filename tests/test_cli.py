"""CLI commands that need no training: data summary and datasets."""

import io
import zipfile

from genoclass.cli import main


def test_data_summary_reports_counts_and_cross_split_duplicates(tmp_path, capsys):
    table = tmp_path / "seqs.csv"
    table.write_text(
        "sequence,label,split\nACGTAA,a,train\nGCCTAA,b,train\nACGTAA,a,test\nTTAGGC,b,test\n"
    )
    assert main(["data", "summary", str(table), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"total_cross_split_exact": 1' in out  # ACGTAA in train and test
    assert '"total_cross_split_rc": 1' in out  # test TTAGGC is the reverse complement of GCCTAA


def test_datasets_fetch_from_local_zip_then_listed_as_cached(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GENOCLASS_CACHE", str(tmp_path / "cache"))
    name = "human_nontata_promoters"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for split in ("train", "test"):
            for label in ("positive", "negative"):
                zf.writestr(f"{name}/{split}/{label}/0.txt", "ACGTACGT")
    archive = tmp_path / "local.zip"
    archive.write_bytes(buffer.getvalue())
    assert main(["datasets", "fetch", name, "--from", str(archive)]) == 0
    capsys.readouterr()
    assert main(["datasets", "list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(name))
    assert "cached" in line


def test_fetch_unknown_dataset_exits_2(capsys):
    assert main(["datasets", "fetch", "no_such_dataset"]) == 2
    assert "no_such_dataset" in capsys.readouterr().err


def test_models_details_lists_every_param_with_its_default_and_meaning(capsys):
    import json

    from genoclass.models import available

    for spec in available():
        assert main(["models", "--details", spec.name]) == 0
        printed = capsys.readouterr().out
        assert printed.startswith(f"{spec.name} ({spec.family}")
        for param in spec.params:
            assert f"  {param.name} = {json.dumps(param.default)}  (" in printed
            assert param.bounds.describe() in printed
            assert not param.meaning or param.meaning in printed
    assert main(["models", "--details", "nope"]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
