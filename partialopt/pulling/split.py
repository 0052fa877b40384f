"""Moved: the ``split`` variant is now the package :mod:`partialopt.split` (instance, evaluate,
methods, presets, online) and its ILP is :mod:`formulations.split`. This module is a compatibility
alias that re-exports the old names; import from :mod:`partialopt.split` in new code.
"""
from partialopt.split import *  # noqa: F401,F403
from partialopt.split import (DC, GB, SHARE, SplitCloudlet, SplitInstance, SplitModel, SplitOnlineResult,  # noqa: F401
                              SplitRequest, SplitResult, eua_instance, evaluate_split, exhaustive_split,
                              split_ilp, split_lp_sampling, split_online_ts)
from partialopt.split import __all__  # noqa: F401
