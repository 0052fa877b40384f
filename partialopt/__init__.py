"""partialopt: scheduling and uplink-bandwidth allocation for parameter-sharing edge inference.

Quick start::

    import partialopt as po
    inst = po.generate("backbone-common", users=10, seed=1)
    res = po.solve(inst, method="brute_force")
    po.evaluate(inst, res.order).feasible
"""
from .core.errors import InstanceError, NotApplicable, OptionError, PartialoptError, SolverError
from .core.status import STATUSES, Status
from .evaluate import Evaluation, Timeline, closed_form_allocation, evaluate
from .instance import Block, Instance, Model, Server, User
from .presets import PRESETS, generate
from .result import Result
from .solve import METHODS, solve

__all__ = [
    "Block", "Model", "User", "Server", "Instance",
    "PartialoptError", "InstanceError", "NotApplicable", "OptionError", "SolverError", "Status", "STATUSES",
    "evaluate", "Evaluation", "Timeline", "closed_form_allocation",
    "Result", "solve", "METHODS", "generate", "PRESETS",
]
__version__ = "0.1.0"
