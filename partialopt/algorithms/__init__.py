"""Combinatorial methods (SPEC §7). Each is ``fn(instance, **options) -> Result``."""
