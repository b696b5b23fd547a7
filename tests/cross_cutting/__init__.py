"""Suites that span the whole project: the docs' samples, the demo, secrets that must never
leak, compatibility with the official SDK, and the benchmark harness."""
