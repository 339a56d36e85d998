"""Expression matrix and label readers: orientations, joins and exact error messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genoclass.errors import InputError
from genoclass.io.expression import read_expression


def _matrix() -> pd.DataFrame:
    values = np.arange(12, dtype=float).reshape(4, 3)
    return pd.DataFrame(
        values,
        index=pd.Index(["s1", "s2", "s3", "s4"], name="sample_id"),
        columns=["gA", "gB", "gC"],
    )


def _labels(tmp_path: Path, ids: list[str]) -> Path:
    path = tmp_path / "labels.csv"
    pd.DataFrame(
        {"sample_id": ids, "label": ["x", "y"] * (len(ids) // 2) + ["x"] * (len(ids) % 2)}
    ).to_csv(path, index=False)
    return path


def test_label_column_in_samples_by_genes_csv(tmp_path: Path) -> None:
    frame = _matrix().assign(label=["a", "b", "a", "b"])
    frame.to_csv(tmp_path / "m.csv")
    data = read_expression(tmp_path / "m.csv")
    assert list(data.matrix.columns) == ["gA", "gB", "gC"]
    assert data.matrix.dtypes.unique().tolist() == [np.float32]
    assert data.labels.tolist() == ["a", "b", "a", "b"]
    assert data.matrix.loc["s3", "gB"] == 7.0


def test_labels_table_joined_on_sample_id_in_any_order(tmp_path: Path) -> None:
    _matrix().to_csv(tmp_path / "m.tsv", sep="\t")
    path = tmp_path / "labels.csv"
    pd.DataFrame({"sample_id": ["s4", "s3", "s2", "s1"], "label": ["d", "c", "b", "a"]}).to_csv(
        path, index=False
    )
    data = read_expression(tmp_path / "m.tsv", labels=path)
    assert data.labels.tolist() == ["a", "b", "c", "d"]


def test_labels_file_missing_three_ids_names_them(tmp_path: Path) -> None:
    frame = pd.concat([_matrix(), _matrix().set_axis(["s5", "s6", "s7", "s8"])])
    frame.to_csv(tmp_path / "m.csv")
    labels = _labels(tmp_path, ["s1", "s2", "s3", "s4", "s8"])
    with pytest.raises(InputError, match="3 sample id\\(s\\) of the matrix are missing") as err:
        read_expression(tmp_path / "m.csv", labels=labels)
    assert "s5, s6, s7" in str(err.value)


def test_labels_for_samples_not_in_matrix_is_an_error(tmp_path: Path) -> None:
    _matrix().to_csv(tmp_path / "m.csv")
    labels = _labels(tmp_path, ["s1", "s2", "s3", "s4", "s9"])
    with pytest.raises(InputError, match="labels table .* are missing from the matrix: s9"):
        read_expression(tmp_path / "m.csv", labels=labels)


def test_nan_is_reported_with_sample_and_gene(tmp_path: Path) -> None:
    frame = _matrix()
    frame.loc["s2", "gC"] = np.nan
    frame.assign(label=list("abab")).to_csv(tmp_path / "m.csv")
    with pytest.raises(InputError) as err:
        read_expression(tmp_path / "m.csv")
    assert "1 missing value (NaN) cell(s): sample 's2' gene 'gC'" in str(err.value)
    data = read_expression(tmp_path / "m.csv", missing="impute-median")
    assert np.isnan(data.matrix.loc["s2", "gC"])
    assert data.info["missing_cells"] == 1


def test_non_numeric_and_infinite_cells_are_reported(tmp_path: Path) -> None:
    frame = _matrix().astype(object)
    frame.loc["s3", "gA"] = "high"
    frame.assign(label=list("abab")).to_csv(tmp_path / "m.csv")
    with pytest.raises(InputError, match="non-numeric value at sample 's3', gene 'gA': 'high'"):
        read_expression(tmp_path / "m.csv")
    frame = _matrix()
    frame.loc["s4", "gB"] = np.inf
    frame.assign(label=list("abab")).to_csv(tmp_path / "m2.csv")
    with pytest.raises(InputError, match="1 infinite value cell\\(s\\): sample 's4' gene 'gB'"):
        read_expression(tmp_path / "m2.csv")


def test_genes_by_samples_detected_from_label_ids(tmp_path: Path) -> None:
    _matrix().T.rename_axis("gene").to_csv(tmp_path / "m.csv")
    labels = _labels(tmp_path, ["s1", "s2", "s3", "s4"])
    data = read_expression(tmp_path / "m.csv", labels=labels)
    assert data.matrix.shape == (4, 3)
    assert data.info["orientation"].startswith("genes (detected")
    with pytest.raises(InputError, match="match the matrix columns: pass --orientation genes"):
        read_expression(tmp_path / "m.csv", labels=labels, orientation="samples")


def test_genes_by_samples_without_labels_says_what_to_pass(tmp_path: Path) -> None:
    _matrix().T.rename_axis("gene").to_csv(tmp_path / "m.csv")
    with pytest.raises(InputError, match="pass --labels FILE .* pass --orientation genes"):
        read_expression(tmp_path / "m.csv")


def test_ids_matching_neither_axis(tmp_path: Path) -> None:
    _matrix().to_csv(tmp_path / "m.csv")
    labels = _labels(tmp_path, ["p1", "p2"])
    with pytest.raises(InputError, match="match neither the row names"):
        read_expression(tmp_path / "m.csv", labels=labels)


def test_parquet_and_h5ad(tmp_path: Path) -> None:
    import anndata

    frame = _matrix()
    frame.reset_index().to_parquet(tmp_path / "m.parquet")
    labels = _labels(tmp_path, ["s1", "s2", "s3", "s4"])
    parquet = read_expression(tmp_path / "m.parquet", labels=labels)
    assert parquet.matrix.loc["s2", "gA"] == 3.0
    adata = anndata.AnnData(
        frame.to_numpy(), obs=pd.DataFrame({"label": list("abab")}, index=frame.index)
    )
    adata.var_names = frame.columns
    adata.write_h5ad(tmp_path / "m.h5ad")
    data = read_expression(tmp_path / "m.h5ad")
    assert data.labels.tolist() == list("abab")
    np.testing.assert_array_equal(data.matrix.to_numpy(), frame.to_numpy(dtype=np.float32))


def test_duplicate_gene_names_rejected(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("sample_id,gA,gA,label\ns1,1,2,a\ns2,3,4,b\n")
    frame = pd.read_csv(tmp_path / "m.csv", index_col=0)
    assert list(frame.columns) == ["gA", "gA.1", "label"]  # pandas renames; we see no duplicate
    (tmp_path / "m.tsv").write_text("gene\ts1\ts2\ngA\t1\t2\ngA\t3\t4\n")
    labels = _labels(tmp_path, ["s1", "s2"])
    with pytest.raises(InputError, match="duplicate gene name\\(s\\): gA"):
        read_expression(tmp_path / "m.tsv", labels=labels)


def test_numeric_looking_ids_keep_leading_zeros(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("sample_id,g1,g2\n01005,1,2\n01010,3,4\n")
    (tmp_path / "l.csv").write_text("sample_id,label\n01005,B\n01010,T\n")
    data = read_expression(tmp_path / "m.csv", labels=tmp_path / "l.csv")
    assert data.matrix.index.tolist() == ["01005", "01010"]
    assert data.labels.tolist() == ["B", "T"]
