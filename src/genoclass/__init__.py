"""genoclass: deep-learning classifiers for DNA sequences and gene-expression profiles."""

__version__ = "0.1.0"
