"""signals/ stays pure: public names resolve, and imports stay within the allowed packages."""

import ast
import importlib
import pathlib
import sys

import pytest

import signals

MODULES = sorted(p.stem for p in pathlib.Path(signals.__file__).parent.glob("*.py") if p.stem != "__init__")
ALLOWED = {"signals", "extract", "transcribe", "__future__"}
FORBIDDEN_STDLIB = {
    "os",
    "io",
    "pathlib",
    "socket",
    "subprocess",
    "sqlite3",
    "urllib",
    "http",
    "logging",
    "random",
    "time",
}


@pytest.mark.parametrize("name", MODULES)
def test_public_names_resolve(name):
    module = importlib.import_module(f"signals.{name}")
    for public in getattr(module, "__all__", ()):
        assert hasattr(module, public), f"signals.{name}.{public}"


@pytest.mark.parametrize("name", MODULES)
def test_imports_stay_pure(name):
    tree = ast.parse((pathlib.Path(signals.__file__).parent / f"{name}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            roots = [(node.module or "").split(".")[0]]
        elif isinstance(node, ast.Import):
            roots = [a.name.split(".")[0] for a in node.names]
        else:
            continue
        for root in roots:
            assert root in ALLOWED or (root in sys.stdlib_module_names and root not in FORBIDDEN_STDLIB), root
