"""Benchmarks of Remedium's hot paths, each measured side by side with a peer where one exists.

``make bench`` (or ``python -m bench.run``) writes ``bench/results/report.md``.
"""
