"""Writes of many contacts at once: the batch endpoint, the shared set-based writer, and
bulk actions by filter."""
