"""Core: statuses, errors, tolerances, the HiGHS runner under faults, the registry and family contract, imports, hostile CLI input, README snippets, notebooks, sweeps."""
