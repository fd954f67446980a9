"""Benchmarks: `make bench` (full) and `make bench-quick`. See docs/performance.md."""
