"""Benchmarks (`make bench [ONLY=area]`): a table on stdout, figures merged into results.json."""
