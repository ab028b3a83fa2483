"""Benchmarks at scale: ``make bench`` / ``python -m bench --scale 0.01`` (see bench/README.md)."""
