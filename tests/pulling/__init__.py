"""The pulling model: evaluator, ILP, rounding, baselines, bandit."""
