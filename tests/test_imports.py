"""Every module imports on its own (no import cycle), and imports only go down the layers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import genoclass

PACKAGE = Path(genoclass.__file__).parent
#: layers from the bottom; a module may import its own layer and those below it
LAYERS = [
    "errors alphabet config atomic library_warnings __init__",
    "io",
    "sequence expression",
    "data",
    "models",
    "training",
    "evaluation",
    "tuning",
    "interpret",
    "reporting",
    "workflows",
    "api estimators cli __main__",
]
LEVEL = {name: i for i, names in enumerate(LAYERS) for name in names.split()}


def modules() -> list[str]:
    """Dotted names of every module of the package."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def level(module: str) -> int:
    """The layer of a dotted module name inside genoclass."""
    parts = module.split(".")
    return LEVEL[parts[1]] if len(parts) > 1 else LEVEL["__init__"]


def test_every_module_imports_on_its_own() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {modules()!r}:\n"
        "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'genoclass']:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "    print(name)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == modules()


def test_imports_only_go_down_the_layers() -> None:
    upward = []
    for module in modules():
        path = PACKAGE.parent.joinpath(*module.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                if target.startswith("genoclass.") and level(target) > level(module):
                    upward.append(f"{module} -> {target}")
    assert upward == []
