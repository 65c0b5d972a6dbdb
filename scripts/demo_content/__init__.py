"""Deterministic generator of the Kestrel Outfitters demo workspace (see scripts/make_demo.py)."""
