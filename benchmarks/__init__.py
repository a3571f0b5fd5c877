"""Benchmarks (``make bench`` = ``python -m benchmarks``). Each module with a ``main()`` is run."""
