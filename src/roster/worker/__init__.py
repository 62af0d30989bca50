"""The job queue and the worker that runs imports and bulk actions in the background."""
