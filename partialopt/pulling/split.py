"""Moved: the ``split`` variant is now the package :mod:`partialopt.split` (instance, evaluate,
methods, presets, online) and its ILP is :mod:`formulations.split`. This module is a compatibility
alias that re-exports the old names; import from :mod:`partialopt.split` in new code.
"""

from partialopt.split import *  # noqa: F401,F403
from partialopt.split import (  # noqa: F401
    DC,
    GB,
    SHARE,
    SplitCloudlet,
    SplitInstance,
    SplitModel,
    SplitOnlineResult,
    SplitRequest,
    SplitResult,
    __all__,  # noqa: F401
    eua_instance,
    evaluate_split,
    exhaustive_split,
    split_ilp,
    split_lp_sampling,
    split_online_ts,
)
