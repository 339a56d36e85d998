"""The expression featurizer: gene columns of a sample table -> preprocessed dense matrix.

The sample table (``workflows.inputs.read_expression_inputs``) holds ``id``, ``label``,
``split``, ``source_row`` and one float32 column per gene. Fitting records the input genes
and fits the preprocessing pipeline on the training rows; new data must carry every input
gene (extra genes are ignored), in any column order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from genoclass.data.loaders import ArrayFeatures
from genoclass.errors import InputError
from genoclass.expression.pipeline import AUTO, ExpressionPipeline
from genoclass.expression.scale import auto_pipeline, detect_scale
from genoclass.io.expression import RESERVED_COLUMNS


@dataclass
class ExpressionFeaturizer:
    """Preprocess gene columns with a train-fitted ``ExpressionPipeline``; ``preprocess``
    ``auto`` picks the pipeline from the scale of the training values (``neural`` models
    also get gene selection and standardisation, see ``expression.scale``)."""

    preprocess: str = AUTO
    impute: bool = False
    pipeline: ExpressionPipeline | None = None
    input_length: int = 0
    genes: list[str] = field(default_factory=list)
    neural: bool = False
    scale: str = ""
    choice: str = ""

    def fit(self, table: pd.DataFrame) -> ExpressionFeaturizer:
        """Fit the pipeline on the training rows (labels feed supervised gene selection)."""
        self.genes = gene_columns(table)
        y = None
        if "label" in table and table["label"].notna().all():
            y = pd.factorize(table["label"], sort=True)[0]
        x = self._matrix(table)
        guess = detect_scale(x)
        spec, self.scale = self.preprocess, f"{guess.kind}: {guess.reason}"
        if spec == AUTO:
            spec, why = auto_pipeline(guess, neural=self.neural)
            self.choice = f"auto: {why}"
        spec = f"impute_median,{spec}" if self.impute else spec
        self.pipeline = ExpressionPipeline(spec).fit(x, y, self.genes)
        self.input_length = len(self.pipeline.genes_out)
        return self

    def transform(self, table: pd.DataFrame, y: np.ndarray | None) -> ArrayFeatures:
        """Preprocessed float32 features of the table's rows."""
        if self.pipeline is None:
            raise RuntimeError("ExpressionFeaturizer.transform called before fit")
        x = self.pipeline.transform(self._matrix(table))
        return ArrayFeatures(np.ascontiguousarray(x, dtype=np.float32), y)

    def summary(self) -> dict[str, Any]:
        """What fitting did, for metrics.json and the report: steps and gene counts."""
        assert self.pipeline is not None
        steps = self.pipeline.summary()
        readable = " > ".join(f"{s['step']} ({s['genes_in']} -> {s['genes_out']})" for s in steps)
        chosen = {"preprocessing_choice": self.choice} if self.choice else {}
        return {
            "scale": self.scale,
            **chosen,
            "preprocessing": f"{self.pipeline.spec}: {readable or 'no steps'}",
            "preprocessing_steps": steps,
            "genes_in": len(self.genes),
            "features_out": self.input_length,
        }

    def state(self) -> dict[str, Any]:
        """JSON-able description stored in model.json (incl. the fitted pipeline)."""
        assert self.pipeline is not None
        return {
            "featurizer": "expression",
            "input_kind": "expression",
            "preprocess": self.preprocess,
            "impute": self.impute,
            "input_length": self.input_length,
            "pipeline": self.pipeline.state(),
            "scale": self.scale,
            "preprocessing_choice": self.choice,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ExpressionFeaturizer:
        """The fitted featurizer saved by ``state()``."""
        pipeline = ExpressionPipeline.from_state(state["pipeline"])
        return cls(
            state["preprocess"],
            state["impute"],
            pipeline,
            state["input_length"],
            pipeline.genes_in,
            scale=str(state.get("scale", "")),  # absent in models saved before scale detection
            choice=str(state.get("preprocessing_choice", "")),
        )

    def _matrix(self, table: pd.DataFrame) -> np.ndarray:
        missing = [g for g in self.genes if g not in table.columns]
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise InputError(f"{len(missing)} gene(s) the model was trained on are absent: {shown}")
        return table[self.genes].to_numpy(dtype=np.float32)


def gene_columns(table: pd.DataFrame) -> list[str]:
    """The gene columns of a sample table (everything but genoclass's own columns)."""
    return [c for c in table.columns if c not in RESERVED_COLUMNS]
