"""What a scheduling formulation provides so that the exact runner ``milp`` can solve it.

``formulations.arc`` and ``formulations.position`` follow :class:`Formulation` as modules (three
module-level functions); a formulation of your own can be a module or any object (e.g. a class
instance) with the same three callables, passed as ``po.solve(inst, "milp", formulation=obj)``
(``partialopt.exact.milp`` checks the callables and raises ``OptionError`` naming
``formulation`` otherwise)::

    class MyFormulation:                       # a variant of arc with one more valid inequality
        name = "arc+mine"
        def build(self, instance, **options):
            m = formulations.arc.build(instance, **options)
            m.mine = pyo.Constraint(expr=...)    # any row that every accepted schedule satisfies
            return m
        def extract(self, model):
            return formulations.arc.extract(model)
        def set_start(self, model, instance, order):
            formulations.arc.set_start(model, instance, order)

    po.solve(inst, "milp", formulation=MyFormulation())

The model :meth:`Formulation.build` returns must carry these components (``milp`` and
:mod:`formulations.common` use exactly these; everything else is the formulation's own):

``K``
    Pyomo Set of the candidate users (indices into ``instance.users``); the formulations use
    :meth:`ProblemArrays.servable() <partialopt.arrays.ProblemArrays.servable>`.
``x[k]``
    binary Var over ``K``: user k is served.
``s[k]``
    Var over ``K``: user k's inference start in units of ``time_scale`` seconds, with finite
    bounds: ``lb`` = the upload floor ``start_floor(k) / time_scale`` (the tangent cuts read both
    bounds) and ``ub`` >= ``(T_tol,k - e_k) / time_scale``. The tangent cuts of ``beta_k`` are
    taken at ``s[k]`` (``b[k] >= beta_k(s[k])`` is what they approximate), so every schedule the
    judge accepts must be representable with ``s[k]`` equal to its inference start (where
    ``b_k >= beta_k(S_k)`` holds).
``b[k]``
    Var over ``K``: bandwidth of user k in ``bw_scale`` Hz (``bw_scale = 1e6``: MHz).
``time_scale``, ``bw_scale``
    floats: seconds per model time unit (:func:`formulations.common.time_scale`) and Hz per
    bandwidth unit.
``cuts``, ``cut_points``
    the ConstraintList of tangent cuts of ``beta`` and the dict ``k -> [t0, ...]`` of the points
    already cut (seconds). ``milp`` adds cuts with :func:`formulations.common.add_tangent_cut`
    between solves until the incumbent passes the exact check.
``obj``
    the one Objective: maximise ``sum_k x[k]`` (the number served; ``milp`` takes its dual bound
    as the bound on served users, rounded down).

Call :func:`formulations.common.add_spectrum_budget` (after ``K``, ``x``, ``s`` and
``time_scale`` exist) to get ``b``, ``bw_scale``, ``budget``, ``b_floor``, ``cuts`` and
``cut_points`` right. The model must relax the judge (deadlines ``T_tol``, budget ``B_tol``,
:mod:`partialopt.core.tolerances`): then its bound is valid, and ``milp`` stays exact because it
believes only incumbents that pass the exact check (:func:`partialopt.evaluate.is_feasible_order`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from partialopt.instance import Instance

REQUIRED = ("build", "extract", "set_start")
"""The callables ``milp`` calls on a formulation."""

COMPONENTS = ("K", "x", "s", "b", "time_scale", "bw_scale", "cuts", "cut_points", "obj")
"""Components of the built model that ``milp`` and :mod:`formulations.common` rely on."""


@runtime_checkable
class Formulation(Protocol):
    """A scheduling MILP that ``partialopt.exact.milp`` can solve (see the module docstring for
    the components the built model must carry). An optional attribute ``name`` (str) names it in
    results; otherwise its ``__name__`` or class name does (:func:`formulation_name`)."""

    def build(self, instance: Instance, **options: Any) -> pyo.ConcreteModel:
        """The Pyomo model of ``instance`` (no solver call)."""
        ...

    def extract(self, model: pyo.ConcreteModel) -> list[int]:
        """The served users' indices in service order, read from a solved ``model``."""
        ...

    def set_start(self, model: pyo.ConcreteModel, instance: Instance, order: list[int]) -> None:
        """Give every variable of ``model`` the values of the feasible ``order`` (user indices;
        users outside ``model.K`` are dropped): a MIP warm start."""
        ...


def missing_callables(obj: Any) -> list[str]:
    """The callables of :data:`REQUIRED` that ``obj`` lacks (empty: it follows the protocol)."""
    return [n for n in REQUIRED if not callable(getattr(obj, n, None))]


def missing_components(model: Any) -> list[str]:
    """The components of :data:`COMPONENTS` that a built ``model`` lacks (a check for your own
    formulation: ``assert not missing_components(MyFormulation().build(inst))``)."""
    return [n for n in COMPONENTS if not hasattr(model, n)]


def formulation_name(obj: Any) -> str:
    """A short name for a formulation: a string itself, else its ``name`` attribute, else the last
    part of its ``__name__`` (modules: ``formulations.arc`` -> ``arc``), else its class name."""
    if isinstance(obj, str):
        return obj
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name:
        return name
    name = getattr(obj, "__name__", None)
    if isinstance(name, str) and name:
        return name.rpartition(".")[2]
    return type(obj).__name__
