"""The scheduling model: instance, evaluator, bandwidth, algorithms, MILPs, robustness, presets, CLI and methods."""
