"""Benchmarks: each ``bench_<area>.py`` exposes ``run() -> str`` (a Markdown section); ``python -m bench``
runs them all and writes ``docs/benchmarks.md``."""
