"""Benchmarks: bounded, self-stopping, 127.0.0.1 only; their small sizes run in ``make test``."""
