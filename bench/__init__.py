"""Benchmarks: scripts run as ``python bench/<name>.py``, never collected as tests."""
