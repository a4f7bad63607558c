"""Benchmark harness: rendered backends under load, measured against PostgreSQL's own ceiling.

Run `uv run python -m bench` (see the README, "Performance"). Not part of the test suite;
tests/bench runs `--smoke` so the harness keeps working.
"""
