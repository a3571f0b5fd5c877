"""Benchmarks: each module defines ``main()``; ``python -m benchmarks`` (``make bench``) runs them all.

Figures are printed with ratios against a baseline measured in the same run (see
docs/performance.md); benchmarks are never timed tests.
"""
