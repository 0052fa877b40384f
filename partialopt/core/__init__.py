"""The small core every problem family shares: the status vocabulary, typed errors, the
tolerances of every feasibility judgement, the HiGHS runner and interrupt handling.

It imports nothing from the families (``partialopt.instance``, ``partialopt.pulling``), so both
can depend on it.
"""

from .errors import InstanceError, NotApplicable, OptionError, PartialoptError, SolverError
from .status import STATUSES, Status

__all__ = ["PartialoptError", "InstanceError", "NotApplicable", "OptionError", "SolverError", "Status", "STATUSES"]
