"""Exact Pyomo formulations of the partialopt problems (no solver calls here).

Each module exposes ``build(instance, ...) -> pyomo.ConcreteModel`` and ``extract(model) -> order``
(user indices in service order); components carry the names of docs/SPEC.md's symbols and each
module's docstring gives the equations. Build, add your own constraints, solve with any Pyomo
MILP solver::

    from formulations import position
    m = position.build(instance)
    m.my_cut = pyomo.environ.Constraint(expr=m.x[0] >= m.x[1])
    pyomo.environ.SolverFactory("appsi_highs").solve(m)
    order = position.extract(m)

The spectrum budget enters through tangent cuts of the convex ``beta`` (``m.cuts``); a solve
of the model as built is therefore an outer approximation (an upper bound). The runner
``partialopt.exact`` adds cuts until the incumbent passes the exact check. A formulation of your
own follows :class:`formulations.protocol.Formulation` (``build``, ``extract``, ``set_start`` and
the components the runner reads) and is solved by ``po.solve(inst, "milp", formulation=obj)``.

The modules import only Pyomo, numpy, ``partialopt.core`` and the data layer of the model they
formulate (``partialopt.instance``, ``arrays``, ``bandwidth``, ``loading``; ``partialopt.pulling.instance``;
``partialopt.split.instance``): never methods, presets, sweeps or the CLI (``tests/test_imports.py``).

``pulling`` is the ILP of the second model (``docs/SPEC_PULLING.md``: model selection and pulling
across cloudlets); its ``extract`` returns a placement and an assignment, and
``partialopt.pulling`` solves it.
"""

from . import arc, position, pulling, split
from .protocol import Formulation

# formulations of the scheduling MILP (docs/SPEC.md), selectable by name in `milp(formulation=...)`;
# any object following `Formulation` (formulations/protocol.py) can be passed instead of a name
FORMULATIONS = {"position": position, "arc": arc}

__all__ = ["arc", "position", "pulling", "split", "FORMULATIONS", "Formulation"]
