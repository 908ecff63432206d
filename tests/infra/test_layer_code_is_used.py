"""The layer ships code Lambda runs: every function, class and method it defines is named somewhere in the
layer or the handlers besides its own definition.

A name only tests, benches or the tooling use belongs beside them (``tools/``, ``bench/``, ``tests/``), not
in the layer each function loads. The check is by name, so it can miss code whose name another definition
shares; it cannot flag code that Lambda uses. The few exceptions say why they stay.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "jira_port" / "jira_port"
HANDLERS = ROOT / "functions"

# name -> why it stays in the layer although nothing Lambda runs calls it
KEPT = {
    "close_all": "releases what the live runtime built (its registry is there): jira-port serve and the "
    "tests call it between runs",
    "compute_signature": "the one definition of Jira's X-Hub-Signature, beside verify_signature: the "
    "emulator's webhook sender, the CLI's local deliveries and the tests sign with it",
    "env_names": "settings introspection the README's configuration reference test reads",
    "load_configured_mapping": "documented API (docs/mapping.md): the configured mapping, compiled once",
    "with_source": "MappingSettings with a CLI's --mapping chosen: the CLI and the local backfill",
}


def _definitions() -> list[tuple[str, str]]:
    """(module, name) of every function, method and class the layer defines (dunders aside)."""
    found = []
    for path in sorted(LAYER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                registered = any("register" in ast.unparse(d) for d in node.decorator_list)  # atexit
                if not (node.name.startswith("__") and node.name.endswith("__")) and not registered:
                    found.append((str(path.relative_to(LAYER)), node.name))
    return found


def _uses() -> Counter[str]:
    """How often each name appears as code (a definition, a name, an attribute, an import, or a string that
    is exactly the name, as in ``__all__`` and lazy exports) in the layer and the handlers; comments and
    docstrings do not count."""
    counts: Counter[str] = Counter()
    for path in [*LAYER.rglob("*.py"), *HANDLERS.rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                counts[node.name] += 1
            elif isinstance(node, ast.Name):
                counts[node.id] += 1
            elif isinstance(node, ast.Attribute):
                counts[node.attr] += 1
            elif isinstance(node, ast.alias):
                counts[node.name.rpartition(".")[2]] += 1
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                counts[node.value] += 1
    return counts


def test_every_definition_in_the_layer_is_used_by_the_layer_or_a_handler() -> None:
    uses = _uses()
    unused = sorted(
        f"{module}: {name}"
        for module, name in _definitions()
        if uses[name] <= 1 and name not in KEPT  # the definition itself is the one mention
    )
    assert unused == [], "defined in the layer but used only outside it (move it to tools/, bench/ or tests/)"


def test_every_exception_is_still_defined_and_still_unused() -> None:
    uses = _uses()
    names = {name for _, name in _definitions()}
    stale = sorted(name for name in KEPT if name not in names or uses[name] > 1)
    assert stale == [], "exceptions that no longer need to be listed"
