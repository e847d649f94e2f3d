"""The benchmarks' smoke runs share the end-to-end harness (tests/harness.py): its fixtures
are registered once, by tests/conftest.py, so the whole session has one app host."""
