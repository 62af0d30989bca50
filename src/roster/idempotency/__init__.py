"""``Idempotency-Key`` on every POST (API.md §1), as pure ASGI middleware, with the stored
result committed in the same transaction as the request's effect.

Why middleware rather than a dependency: the stored result must be the exact response the
client got (status, headers, body), including error responses rendered by the exception
handlers, and a dependency never sees the response.

Flow for a POST that carries the header (``middleware``):

1. Check the key (1-255 visible ASCII characters, else 400) and buffer the body (the
   body-size limit of ``RequestContext`` applies first).
2. Authenticate and count the rate limit (``auth.deps.resolve``, kept in the request state).
   An unauthenticated request goes on to get its 401 in the usual way.
3. Look the key up: a completed result is replayed with ``Idempotent-Replayed: true`` (or
   422 ``idempotency_key_mismatch`` when the method, path or body differ) without running
   the request.
4. Run the request with a ``Pending`` claim (``claims``) in the request state's
   ``kit.web.WRITE_UNIT`` slot. The request's first write unit of work begins the
   transaction that holds the claim: it inserts the key row there, so the row and the
   effect commit or roll back together.
5. The response is held back until the transaction has committed with the response stored
   in the key row; only then is it sent. A 5xx (and 401/403/429, which depend on the
   credential and the moment) rolls the whole transaction back: the effect is undone and
   the key is free. A failed commit answers 503 and leaves nothing behind.

A request that wrote nothing (a 422 from validation, a search) has its response stored in a
transaction of its own before it is sent. A streamed response (an export) is sent as it is
produced and not stored. Rows live ``ROSTER_IDEMPOTENCY_TTL`` seconds (default 24 h);
``sweep`` deletes older ones. Every query is in ``repository``.
"""

from roster.idempotency.claims import sweep
from roster.idempotency.middleware import Idempotency, document

__all__ = ["Idempotency", "document", "sweep"]
