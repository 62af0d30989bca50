"""Streaming exports of contacts as CSV or NDJSON."""
