"""The split variant of the pulling model and the split package."""
