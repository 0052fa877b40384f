"""partialopt: scheduling and uplink-bandwidth allocation for parameter-sharing edge inference.

Quick start::

    import partialopt as po
    inst = po.generate("backbone-common", users=10, seed=1)
    res = po.solve(inst, method="brute_force")
    po.evaluate(inst, res.order).feasible
"""
from .evaluate import Evaluation, Timeline, closed_form_allocation, evaluate
from .instance import Block, Instance, InstanceError, Model, Server, User
from .presets import PRESETS, generate
from .result import Result
from .solve import METHODS, solve

__all__ = [
    "Block", "Model", "User", "Server", "Instance", "InstanceError",
    "evaluate", "Evaluation", "Timeline", "closed_form_allocation",
    "Result", "solve", "METHODS", "generate", "PRESETS",
]
__version__ = "0.1.0"
