"""The docs MCP server: ingest documents into a cited, searchable index (BM25 + optional dense)."""

import os

# Dense search is one matrix-vector product per query: OpenBLAS worker threads only add wake-up
# latency there (measured p95 0.8 ms single-threaded vs 8-15 ms threaded on 2 shared cores).
# Effective when this package is imported before numpy, as in `sleuth serve docs`.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
