"""One entry point for every problem family: ``solve``, ``evaluate`` and ``generate`` dispatch on
the instance (or preset) to its family, declared once below with lazy import paths.

Families (docs/SPEC.md, docs/SPEC_PULLING.md):

- ``scheduling`` (:class:`~partialopt.instance.Instance`, ``partialopt/instance@1``): serve the
  most users by their deadlines; result :class:`~partialopt.result.Result`.
- ``pulling`` (:class:`~partialopt.pulling.instance.PullingInstance`, ``partialopt/pulling@1``):
  place models on cloudlets at least total delay; result ``PullingResult``.
- ``split`` (:class:`~partialopt.split.instance.SplitInstance`, ``partialopt/split@1``): the
  authors' code model of the pulling problem; result ``SplitResult``.

Adding a method is one function ``fn(instance, **options) -> result`` and one
:class:`~partialopt.core.registry.MethodSpec` line in its family's table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core.registry import Family, MethodSpec, Registry

# the scheduling family's methods, name -> "module:function" (kept for code that reads it)
METHODS: dict[str, str] = {
    "greedy": "partialopt.algorithms.greedy:greedy",
    "paper_greedy": "partialopt.algorithms.paper_greedy:paper_greedy",
    "dp": "partialopt.algorithms.dp:dp",
    "local_search": "partialopt.algorithms.local_search:local_search",
    "no_sharing": "partialopt.algorithms.greedy:no_sharing",
    "brute_force": "partialopt.algorithms.brute_force:brute_force",
    "edf": "partialopt.algorithms.baselines:edf",
    "random": "partialopt.algorithms.baselines:random_order",
    "lns": "partialopt.algorithms.lns:lns",
    "bound": "partialopt.bounds:bound",
    "milp": "partialopt.exact:milp",
    "bnb": "partialopt.algorithms.bnb:bnb",
    "benders": "partialopt.algorithms.benders:benders",
    "exact": "partialopt.algorithms.portfolio:exact",
    "lp_bound": "partialopt.exact:lp_bound",
}
_KINDS = {
    "dp": "exact",
    "brute_force": "exact",
    "milp": "exact",
    "bnb": "exact",
    "benders": "exact",
    "exact": "exact",
    "lp_bound": "bound",
    "bound": "bound",
    "no_sharing": "baseline",
    "edf": "baseline",
    "random": "baseline",
}
_SUPPORTS = {
    "dp": "partialopt.algorithms.dp:supports",
    "brute_force": "partialopt.algorithms.brute_force:supports",
    "bnb": "partialopt.algorithms.bnb:supports",
    "benders": "partialopt.algorithms.benders:supports",
}


def _zoo(users: int, seed: int = 0, **options: Any):
    """Preset ``pulling-zoo``: :func:`partialopt.pulling.presets.zoo_instance` with ``users``
    request groups."""
    from .pulling.presets import zoo_instance

    return zoo_instance(n_groups=users, seed=seed, **options)


def _eua(users: int, seed: int = 0, **options: Any):
    """Preset ``split-eua``: :func:`partialopt.split.presets.eua_instance` with ``users`` requests."""
    from .split.presets import eua_instance

    return eua_instance(n_requests=users, seed=seed, **options)


REGISTRY = Registry(
    [
        Family(
            name="scheduling",
            schema="partialopt/instance@1",
            instance="partialopt.instance:Instance",
            result="partialopt.result:Result",
            default_method="greedy",
            methods={n: MethodSpec(n, p, _KINDS.get(n, "heuristic"), _SUPPORTS.get(n)) for n, p in METHODS.items()},
        ),
        Family(
            name="pulling",
            schema="partialopt/pulling@1",
            instance="partialopt.pulling.instance:PullingInstance",
            result="partialopt.pulling.methods:PullingResult",
            default_method="ilp",
            methods={
                "ilp": MethodSpec("ilp", "partialopt.pulling.methods:ilp", "exact"),
                "randomized_rounding": MethodSpec(
                    "randomized_rounding", "partialopt.pulling.methods:randomized_rounding"
                ),
                "most_popular": MethodSpec("most_popular", "partialopt.pulling.methods:most_popular", "baseline"),
                "no_sharing": MethodSpec("no_sharing", "partialopt.pulling.methods:no_sharing", "baseline"),
            },
            presets={"pulling-zoo": "partialopt.solve:_zoo"},
        ),
        Family(
            name="split",
            schema="partialopt/split@1",
            instance="partialopt.split.instance:SplitInstance",
            result="partialopt.split.methods:SplitResult",
            default_method="ilp",
            methods={
                "ilp": MethodSpec("ilp", "partialopt.split.methods:split_ilp", "exact"),
                "lp_sampling": MethodSpec("lp_sampling", "partialopt.split.methods:split_lp_sampling"),
            },
            presets={"split-eua": "partialopt.solve:_eua"},
        ),
    ]
)


def get_method(name: str, family: str = "scheduling") -> Callable[..., Any]:
    """The function of method ``name`` of ``family``."""
    return REGISTRY.family(family).method(name).function()


def method_options(name: str, family: str = "scheduling") -> dict[str, Any]:
    """Keyword options a method accepts, with their defaults."""
    return REGISTRY.family(family).method(name).options()


def solve(instance: Any, method: str | None = None, **options: Any) -> Any:
    """Solve ``instance`` with the named method of its family.

    Parameters
    ----------
    instance : Instance, PullingInstance or SplitInstance
        The problem; its type selects the family.
    method : str, optional
        A method of that family (default: ``greedy`` for scheduling, ``ilp`` for the pulling
        families); see ``partialopt solve --method M --help`` for its options.
    **options
        The method's keyword options (checked: an unknown one raises ``OptionError``).

    Returns
    -------
    The family's result (``Result``, ``PullingResult``, ``SplitResult``), re-checked by the
    family's evaluator before it is handed back. A method that does not cover the instance raises
    ``NotApplicable`` with the reason.
    """
    return REGISTRY.solve(instance, method, **options)


def evaluate(instance: Any, solution: Any, *args: Any, **kwargs: Any) -> Any:
    """The family's judge of ``solution`` on ``instance``.

    Scheduling: ``evaluate(instance, order, bandwidth=None)`` (an order of user ids, or a
    ``Result``), the :class:`~partialopt.evaluate.Evaluation` of SPEC §4-5. Pulling:
    ``evaluate(instance, solution_or_result, sharing=True)`` (``evaluate_pulling``). Split:
    ``evaluate(instance, choice_or_result)`` (``evaluate_split``: ``(total, violations)``).
    A result given instead of a solution is judged as its family's ``Result.evaluate`` does.

    Parameters
    ----------
    instance : Instance, PullingInstance or SplitInstance
        The problem; its type selects the family's judge.
    solution : list, PullingSolution, dict or a result
        An order of user ids, a placement and assignment, a choice per request, or any family's
        result.
    *args, **kwargs
        Passed to the family's judge (``bandwidth`` for scheduling, ``sharing`` for pulling).
    """
    fam = REGISTRY.family_of(instance)
    if hasattr(solution, "evaluate") and hasattr(solution, "SCHEMA"):
        if not isinstance(solution, fam.result_class()):
            from .core.errors import OptionError

            raise OptionError(
                f"solution: a {type(solution).__name__} is not a result of the {fam.name} family "
                f"of this {type(instance).__name__}"
            )
        return solution.evaluate(instance)
    if isinstance(solution, str):
        from .core.errors import OptionError

        raise OptionError(f"solution: expected an order, a solution or a result, got the string {solution!r}")
    if fam.name == "scheduling":
        from .evaluate import evaluate as judge

        return judge(instance, solution, *args, **kwargs)
    if fam.name == "pulling":
        from .pulling.evaluate import evaluate_pulling

        return evaluate_pulling(instance, solution, *args, **kwargs)
    from .split.evaluate import evaluate_split

    return evaluate_split(instance, solution, *args, **kwargs)


def preset_names() -> dict[str, str]:
    """Every preset of every family: name -> family."""
    from .presets import PRESETS

    out = {name: "scheduling" for name in PRESETS}
    for fam in REGISTRY.families.values():
        out.update({name: fam.name for name in fam.presets})
    return out


def generate(preset: str, users: int = 10, seed: int = 0, **options: Any) -> Any:
    """A seeded instance of any family's preset (``users``: users, request groups or requests).

    Parameters
    ----------
    preset : str
        A scheduling preset (``partialopt.presets.PRESETS``), ``pulling-zoo`` or ``split-eua``.
    users : int
        Users (scheduling), request groups (pulling) or requests (split).
    seed : int
        Random seed.
    **options
        The preset's own options (e.g. ``calibration``, ``loading`` for realistic presets).
    """
    from .core.errors import OptionError

    if isinstance(users, bool) or not isinstance(users, int) or users < 1:
        raise OptionError(f"users: must be an integer >= 1, got {users!r}")
    names = preset_names()
    if preset not in names:
        raise OptionError(f"preset: unknown preset {preset!r} (choose from {sorted(names)})")
    for fam in REGISTRY.families.values():
        if preset in fam.presets:
            from .core.registry import load

            return load(fam.presets[preset])(users, seed, **options)
    from .presets import generate as scheduling_preset

    return scheduling_preset(preset, users, seed, **options)


def _load(path: Any, what: str, build: Callable[[dict], Any]) -> Any:
    """Read a JSON file and ``build(data)``; every error is an ``InstanceError`` starting with
    the path."""
    from .core.errors import InstanceError
    from .core.jsonio import check_numbers, json_type, read_json

    try:
        data = read_json(path, what)
        check_numbers(data)
        if not isinstance(data, dict):
            raise InstanceError(
                f"expected a JSON object ({'an' if what[0] in 'aeiou' else 'a'} {what}), got {json_type(data)}"
            )
        return build(data)
    except (InstanceError, ValueError) as exc:
        text = str(exc)
        raise InstanceError(text if text.startswith(f"{path}: ") else f"{path}: {text}") from None


def load_instance(path: Any) -> Any:
    """An instance file of any family, told apart by its ``schema`` tag (errors name the file
    and the field)."""
    return _load(path, "instance", lambda d: REGISTRY.family_of_schema(d.get("schema")).instance_class().from_dict(d))


def load_result(path: Any) -> Any:
    """A result file of any family, told apart by its ``schema`` tag."""
    return _load(
        path, "result", lambda d: REGISTRY.family_of_result_schema(d.get("schema")).result_class().from_dict(d)
    )
