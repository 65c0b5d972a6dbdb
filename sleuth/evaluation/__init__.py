"""Evaluation harness: golden cases over a workspace, scored locally, with regression gating."""
