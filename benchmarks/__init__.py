"""Benchmarks (`make bench` = `python -m benchmarks`): each module's ``main()`` prints its figures."""
