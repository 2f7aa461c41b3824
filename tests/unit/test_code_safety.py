"""Rule files are untrusted input: the package never evaluates text and loads YAML only safely."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "allocator"


def _calls(tree: ast.AST) -> list[str]:
    """Builtins called by name, and `yaml.<attr>` calls as 'yaml.<attr>'."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                names.append(f.id)
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "yaml":
                names.append(f"yaml.{f.attr}")
    return names


def test_no_eval_exec_compile_or_unsafe_yaml_anywhere_in_the_package() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name in _calls(tree):
            if name in {"eval", "exec", "compile", "__import__", "breakpoint"} or (
                name.startswith("yaml.") and name != "yaml.compose"
            ):
                offenders.append(f"{path.name}: {name}()")
        text = path.read_text(encoding="utf-8")
        for word in ("FullLoader", "UnsafeLoader", "yaml.Loader", "pickle", "marshal", "shell=True"):
            if word in text:
                offenders.append(f"{path.name}: {word}")
    assert offenders == []


def test_yaml_is_only_composed_with_the_safe_loader() -> None:
    uses = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "yaml." in line and "import" not in line:
                uses.append((path.name, line.strip()))
    composes = [u for u in uses if "yaml.compose" in u[1]]
    assert composes == []  # yamlio composes with its own loader, built from PyYAML's safe parts only
    from allocator.inputs.safe_yaml import _Loader

    assert [c.__name__ for c in _Loader.__bases__] == ["Reader", "Scanner", "Parser", "Composer", "_Resolver"]
    assert not [c for c in _Loader.__mro__ if "Constructor" in c.__name__ or c.__name__ == "SafeLoader"]
