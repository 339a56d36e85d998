"""Third-party warnings a genoclass user cannot act on, silenced in one place.

Importing ``genoclass`` installs these filters, so the command line and the Python API share
them; pytest applies the same list from ``pyproject.toml`` (``filterwarnings``), because it
resets the warning filters around every test. Each filter names the message and the module
that issues the warning, so genoclass's own warnings and any other library's still show.
"""

from __future__ import annotations

import warnings

#: (message regex, category, issuing-module regex) of every silenced warning
LIBRARY_WARNINGS: tuple[tuple[str, type[Warning], str], ...] = (
    # Lightning calls torch's deprecated LeafSpec; fixed upstream, nothing for a user to do.
    (
        r"`isinstance\(treespec, LeafSpec\)` is deprecated",
        FutureWarning,
        r"lightning\.pytorch\.utilities\._pytree",
    ),
    # The ordered grid asks and tells trials itself; the heartbeats that find dead workers'
    # trials work all the same (genoclass.tuning), Optuna only expects Study.optimize.
    (
        r"Heartbeat of storage is supposed to be used with Study\.optimize",
        UserWarning,
        r"optuna\.study\.study",
    ),
)


def silence_library_warnings() -> None:
    """Install an ``ignore`` filter for each entry of ``LIBRARY_WARNINGS``."""
    for message, category, module in LIBRARY_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)
