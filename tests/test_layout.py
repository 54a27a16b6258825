"""The package's layout shows its architecture: stages import only the stages before them,
the sweeper plugin depends on the package and never the reverse, no module imports itself back
through others (imports for type hints included), and ``--help`` loads nothing heavy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "simple_game"
PLUGIN = REPO / "hydra_plugins"
# The stages in pipeline order (README "Project layout"): a module may import its own stage
# and the stages before it, never one after it.
STAGES = (
    "errors",
    "records",
    "doctor",
    "config",
    "envs",
    "model",
    "training",
    "evaluate",
    "report",
    "bench",
)
# Modules outside the stages: plain words, the entry point, and the old home of SimpleNatureCNN.
TOP = {
    "simple_game.text": STAGES.index("errors"),  # plain words: below every stage
    "simple_game.__main__": len(STAGES),
    "simple_game.policies": STAGES.index("model"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The project's modules a file imports: at the top, inside functions, or only for type
    hints (``if TYPE_CHECKING:``), which make an import circle all the same."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if n.startswith(("simple_game", "hydra_plugins")))
    return found


def graph() -> dict[str, set[str]]:
    """Who imports whom, among the package's and the plugin's modules."""
    modules = {module_name(p): p for p in [*PACKAGE.rglob("*.py"), *PLUGIN.rglob("*.py")]}
    return {
        name: {m for m in imports_of(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def stage(module: str) -> int:
    if module in TOP:
        return TOP[module]
    part = module.split(".")[1] if "." in module else ""
    return STAGES.index(part) if part in STAGES else -1


def package(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {m: t for m, t in graph.items() if m.startswith("simple_game")}


def test_every_module_belongs_to_a_stage() -> None:
    loose = sorted(m for m in package(graph()) if m != "simple_game" and stage(m) < 0)
    assert not loose, f"modules outside the stages of README's layout: {loose}"


def test_no_stage_imports_a_later_one() -> None:
    upward = [
        f"{name} -> {target}"
        for name, targets in package(graph()).items()
        for target in targets
        if name != "simple_game"
        and target.startswith("simple_game")
        and stage(target) > stage(name)
    ]
    assert not upward, "imports from a later stage:\n" + "\n".join(sorted(upward))


def test_the_package_never_imports_the_plugin() -> None:
    # The plugin registers the package's sweeper schema and runs its jobs; the package (its
    # command-line checks included) must work without it.
    into_plugin = [f"{m} -> {t}" for m, ts in package(graph()).items() for t in ts
                   if t.startswith("hydra_plugins")]  # fmt: skip
    assert not into_plugin, "the package imports the plugin:\n" + "\n".join(sorted(into_plugin))


def test_the_import_graph_has_no_cycle() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(node) :], node]))
        if node in done:
            return
        for target in edges.get(node, ()):
            if target.startswith(node + "."):
                continue  # a package's __init__ may import its own modules
            visit(target, [*path, node])
        done.add(node)

    for module in edges:
        visit(module, [])


def test_help_loads_neither_gymnasium_nor_ale_py_nor_optuna(tmp_path: Path) -> None:
    probe = (
        "import runpy, sys; sys.argv = ['simple_game', '--help']\n"
        "try:\n    runpy.run_module('simple_game', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'gymnasium', 'ale_py', 'optuna', 'torch'})\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "HEAVY []" in done.stdout, done.stdout[-500:]
