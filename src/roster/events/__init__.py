"""The transactional outbox: every change is an event written in the change's transaction."""
