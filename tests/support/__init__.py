"""Helpers the test modules share: importable as `tests.support.<area>`, never collected as tests."""
