"""The job queue and the worker that runs background jobs (imports, bulk actions).

The worker knows no job kind itself: each feature registers its handler with ``register``
at start-up (``roster.wiring.install``), and a handler gets a ``JobContext`` and raises
``JobFailed`` to stop with a message for the user.
"""

from roster.worker.kinds import JobContext, JobFailed, register

__all__ = ["JobContext", "JobFailed", "register"]
