"""Benchmark scripts (run them as files: ``.venv/bin/python bench/web.py``); not tests."""
