"""Benchmarks (`make bench` = `python -m benchmarks`): each module here has a `main()`."""
