"""The status vocabulary of every result of every method and problem family.

What the *solver* said (HiGHS's model status, Pyomo's termination condition) is kept apart, as a
string in the result's ``stats["termination"]``; the status below is what partialopt concludes
after checking the answer (the linopy habit of keeping ``TerminationCondition`` and
``SolverStatus`` apart).

- ``optimal``: the schedule's objective meets a proven bound.
- ``feasible``: a checked schedule, no proof of optimality (heuristics).
- ``time_limit``: a time, size or memory limit stopped the method; incumbent + valid bound + gap.
- ``interrupted``: the user interrupted (Ctrl-C); incumbent + valid bound + gap.
- ``infeasible``: proven that no solution exists.
- ``error``: the solver failed; the reason is in ``stats["error"]``, and any incumbent returned
  was checked exactly by the family's evaluator.
"""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    TIME_LIMIT = "time_limit"
    INTERRUPTED = "interrupted"
    INFEASIBLE = "infeasible"
    ERROR = "error"

    def __str__(self) -> str:  # plain value in f-strings and JSON
        return self.value


STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
