"""The layout's rules that a reader relies on, checked on the source."""

from __future__ import annotations

import ast

from orchestration.paths import PROJECT_ROOT


def _sources(folder: str) -> dict[str, str]:
    return {
        path.relative_to(PROJECT_ROOT).as_posix(): path.read_text()
        for path in (PROJECT_ROOT / folder).rglob("*.py")
    }


def _imports(text: str) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_only_orchestration_paths_locates_the_checkout() -> None:
    locating = sorted(path for path, text in _sources("orchestration").items() if "__file__" in text)
    assert locating == ["orchestration/paths.py"]


def test_nothing_below_the_cli_imports_it() -> None:
    """The CLI sits on top: the Dagster definitions, the runtime and the local servers never import it."""
    below = {
        (path, module)
        for path, text in _sources("orchestration").items()
        if not path.startswith("orchestration/cli/")
        for module in _imports(text)
        if module == "orchestration.cli" or module.startswith("orchestration.cli.")
    }
    assert below == set()


def test_the_benchmarks_do_not_import_the_tests() -> None:
    """bench/ and tests/ share helpers through testkit/, not by one importing the other."""
    imported = {
        (path, module)
        for path, text in _sources("bench").items()
        for module in _imports(text)
        if module == "tests" or module.startswith("tests.")
    }
    assert imported == set()
