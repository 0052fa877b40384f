"""Typed errors, in one module (the cvxpy habit): each message starts with the field or option it
is about and says what to change.

- :class:`InstanceError`: invalid problem data (``users[3].deadline: ...``).
- :class:`OptionError`: an invalid method option (``time_limit: must be > 0 ...``).
- :class:`NotApplicable`: the method does not cover this instance (``dp`` on per-user deadlines,
  ``brute_force`` beyond K = 8); sweeps record such a row as ``refused``.
- :class:`SolverError`: the solver failed (an error status, a dual bound below an exactly checked
  incumbent); never reported as a result.

All derive from :class:`PartialoptError`. The first three are also ``ValueError`` and
:class:`SolverError` a ``RuntimeError``, so code written against the built-in types keeps working.
"""

from __future__ import annotations


class PartialoptError(Exception):
    """Base class of every error partialopt raises on purpose."""


class InstanceError(PartialoptError, ValueError):
    """Invalid instance data; the message starts with the offending field's path."""


class OptionError(PartialoptError, ValueError, TypeError):
    """An invalid method option or method name; the message starts with the option's name (also a
    ``TypeError``, what Python raises for an unknown keyword argument)."""


class NotApplicable(PartialoptError, ValueError):
    """The method does not cover this instance; the message starts with the method's name and says why."""


class SolverError(PartialoptError, RuntimeError):
    """The solver failed or gave an answer that the exact check contradicts."""
