"""The import structure (issue 12): no import cycle among the modules of ``partialopt`` and
``formulations``; ``formulations`` imports on its own (no pandas, plotting, presets, sweeps or
methods); ``import partialopt`` and ``partialopt --help`` load no heavy dependency; every public
name resolves. (Wall times are measured by benchmarks/import_time.py, not asserted here.)"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import partialopt
from tests import ROOT

PACKAGES = ("partialopt", "formulations")
HEAVY = ("pandas", "matplotlib", "pyomo", "cvxpy", "scipy", "numba")


# ---------------------------------------------------------------------- the static import graph
def _modules() -> dict[str, Path]:
    """Every module of the two packages: dotted name -> file."""
    mods = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_time_statements(body: list[ast.stmt]):
    """Import statements that run when the module is imported: module level, in ``if``/``try``/
    ``with`` blocks and class bodies; not in functions, not under ``if TYPE_CHECKING:``."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _import_time_statements(node.body)
            yield from _import_time_statements(node.orelse)
        elif isinstance(node, ast.Try) or (sys.version_info >= (3, 11) and isinstance(node, ast.TryStar)):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _import_time_statements(block)
        elif isinstance(node, (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While, ast.ClassDef)):
            yield from _import_time_statements(node.body)
            yield from _import_time_statements(getattr(node, "orelse", []))


def _with_parents(name: str) -> list[str]:
    """``a.b.c`` -> ``[a, a.b, a.b.c]``: importing a module runs its packages' ``__init__`` first."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports at import time. An import of ``a.b.c`` also
    depends on ``a`` and ``a.b`` (their ``__init__`` runs first), except the importer's own
    packages, which are already being imported (a package importing its submodules is no cycle)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        package = name if is_pkg else name.rpartition(".")[0]
        own = set(_with_parents(name))
        targets: set[str] = set()
        for node in _import_time_statements(ast.parse(path.read_text(), str(path)).body):
            if isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            else:
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                found = [source] + [f"{source}.{a.name}" for a in node.names]  # `from pkg import submodule`
            for target in found:
                for dep in _with_parents(target):
                    if dep in mods and dep not in own:
                        targets.add(dep)
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as ``[m1, m2, ..., m1]``, or None (iterative DFS)."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(graph, WHITE)
    for start in sorted(graph):
        if color[start] != WHITE:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        color[start] = GREY
        while stack:
            node, children = stack[-1]
            for child in children:
                if color.get(child, BLACK) == GREY:
                    return path[path.index(child) :] + [child]
                if color.get(child) == WHITE:
                    color[child] = GREY
                    path.append(child)
                    stack.append((child, iter(sorted(graph[child]))))
                    break
            else:
                color[node] = BLACK
                stack.pop()
                path.pop()
    return None


def test_graph_covers_the_packages():
    graph = import_graph()
    assert {"partialopt", "partialopt.cli", "formulations", "formulations.arc", "formulations.pulling"} <= set(graph)
    # the parser sees the edges that matter
    assert "partialopt.arrays" in graph["formulations.arc"]
    assert "partialopt" in graph["formulations.arc"]  # its package __init__ runs first
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle (module-level imports): " + " -> ".join(cycle)


def test_formulations_import_only_core_and_data_layers():
    """Each formulation module imports pyomo, numpy, ``partialopt.core`` and the data layer of the
    model it formulates; never methods, solvers, presets, sweeps, plotting or the CLI."""
    graph = import_graph()
    data_layer = {
        "partialopt",
        "partialopt.instance",
        "partialopt.arrays",
        "partialopt.bandwidth",
        "partialopt.loading",
        "partialopt.pulling",
        "partialopt.pulling.instance",
        "partialopt.split",
        "partialopt.split.instance",
    }
    for name, deps in graph.items():
        if not name.startswith("formulations"):
            continue
        bad = {
            d
            for d in deps
            if d.startswith("partialopt") and d not in data_layer and not d.startswith("partialopt.core")
        }
        assert not bad, f"{name} imports {sorted(bad)}"


# ---------------------------------------------------------------------- fresh processes
def _loaded(code: str, prefixes: tuple[str, ...]) -> list[str]:
    """Modules among ``prefixes`` (top-level packages or dotted modules) in sys.modules after
    running ``code`` in a fresh interpreter."""
    probe = f"import sys\n{code}\nprint('\\n'.join(p for p in {prefixes!r} if p in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_import_formulations_is_standalone():
    unwanted = (
        "pandas",
        "matplotlib",
        "partialopt.presets",
        "partialopt.experiments",
        "partialopt.pulling.methods",
        "partialopt.plotting",
        "partialopt.cli",
        "partialopt.exact",
        "partialopt.solve",
    )
    assert _loaded("import formulations", unwanted) == []


def test_import_partialopt_is_light():
    assert _loaded("import partialopt", HEAVY) == []


def test_cli_help_is_light():
    """What ``partialopt --help`` and ``partialopt bench --help`` import: no heavy dependency."""
    code = "from partialopt.cli import build_parser\nbuild_parser().format_help()"
    assert _loaded(code, HEAVY + ("tqdm",)) == []


def test_generate_and_evaluate_synthetic_are_light():
    code = (
        "import partialopt as po\ninst = po.generate('general', users=6, seed=0)\n"
        "po.evaluate(inst, [u.id for u in inst.users[:2]])"
    )
    assert _loaded(code, ("pandas", "matplotlib", "pyomo", "cvxpy", "tqdm")) == []


@pytest.mark.parametrize("first", ["arc", "position", "pulling"])
def test_formulations_import_in_any_order(first):
    rest = [m for m in ("arc", "position", "pulling") if m != first]
    code = (
        f"from formulations import {first}\nfrom formulations import {', '.join(rest)}\n"
        "for m in (arc, position, pulling):\n"
        "    assert callable(m.build) and callable(m.extract), m"
    )
    _loaded(code, ())
    for module in ("partialopt.pulling.instance", "partialopt.arrays"):  # the data layer first, then formulations
        _loaded(f"import {module}\nfrom formulations import arc, position, pulling", ())


# ---------------------------------------------------------------------- the public names
def test_every_public_name_resolves():
    for name in partialopt.__all__:
        assert getattr(partialopt, name) is not None, name
    assert set(partialopt.__all__) <= set(dir(partialopt))
    with pytest.raises(AttributeError):
        partialopt.no_such_name  # noqa: B018


def test_function_names_are_not_shadowed_by_their_modules():
    """``partialopt.evaluate`` and ``partialopt.solve`` stay the functions after their submodules
    are imported (the import system binds a submodule on its package)."""
    code = (
        "import partialopt.evaluate, partialopt.solve\nimport partialopt as po\n"
        "assert callable(po.evaluate) and callable(po.solve), (po.evaluate, po.solve)"
    )
    _loaded(code, ())


def test_pulling_names_resolve():
    import partialopt.pulling as pulling

    for name in pulling.__all__:
        assert getattr(pulling, name) is not None, name
    assert pulling.PullingSolution is pulling.evaluate.PullingSolution  # moved to .instance, re-exported


def test_pulling_data_layer_is_light():
    assert (
        _loaded(
            "import partialopt.pulling.instance",
            (
                "partialopt.pulling.methods",
                "partialopt.pulling.online",
                "partialopt.pulling.presets",
                "pyomo",
                "pandas",
                "scipy",
            ),
        )
        == []
    )


def test_cli_help_lists_every_preset_and_sweep():
    """``build_parser`` reads the preset and sweep tables themselves (both import without pandas,
    see test_cli_help_is_light), so the help cannot drift from the registries."""
    from partialopt.cli import build_parser
    from partialopt.experiments import SWEEPS
    from partialopt.presets import PRESETS

    sub = build_parser()._subparsers._group_actions[0].choices
    generate_help, bench_help = sub["generate"].format_help(), sub["bench"].format_help()
    for name, preset in PRESETS.items():
        assert name in generate_help and preset.description[:30] in " ".join(generate_help.split())
    for name in SWEEPS:
        assert name in bench_help
