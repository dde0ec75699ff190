"""The end-to-end smoke run by `nox -s smoke` (see runner.py)."""
