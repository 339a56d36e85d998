"""genoclass: deep-learning classifiers for DNA sequences and gene-expression profiles."""

from genoclass.library_warnings import silence_library_warnings

__version__ = "0.1.0"

silence_library_warnings()
