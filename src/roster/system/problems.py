"""Human pages for each problem ``type`` (``/problems/<code>``)."""

PAGES: dict[str, tuple[int, str]] = {
    "invalid_request": (
        400,
        "The request could not be read: the body is not valid JSON, a "
        "query parameter is malformed or out of range (for example `limit` "
        "outside 1..100, or not UTF-8 once percent-decoded), or a pagination "
        "cursor is garbled or was not made by this server. Fix the request; "
        "retrying it unchanged will fail again.",
    ),
    "unauthorized": (
        401,
        "No credential, or one that is malformed, expired or revoked. Send "
        "`Authorization: Bearer <API key or JWT>`.",
    ),
    "forbidden": (
        403,
        "The credential is valid but lacks the scope this route needs "
        "(`contacts:read`, `contacts:write` or `admin`; `admin` implies the others).",
    ),
    "not_found": (
        404,
        "No such object in your tenant. An id that belongs to another tenant "
        "is answered exactly like one that does not exist.",
    ),
    "method_not_allowed": (
        405,
        "The route exists but not with this HTTP method. The `Allow` header lists the "
        "methods it has.",
    ),
    "conflict": (
        409,
        "A unique identifier (phone, email, external_id or a handle) is already "
        "held by another live contact. `field` names it and `conflicting_id` is the "
        "contact holding it: update that contact, or merge the two.",
    ),
    "idempotency_in_progress": (
        409,
        "A request with the same Idempotency-Key is still being "
        "processed. Retry after it finishes to get its response.",
    ),
    "precondition_failed": (
        412,
        "`If-Match` named a version that is no longer current. GET "
        "the object again, re-apply your change, and send the new ETag.",
    ),
    "payload_too_large": (
        413,
        "The body is over the configured limit (JSON: 32 MiB by default; uploads: 1 GiB).",
    ),
    "unsupported_media_type": (415, "The body's Content-Type is not one this route reads."),
    "validation_error": (
        422,
        "One or more fields break a rule. `errors` lists each with its "
        "`field` (a dotted path such as `custom_fields.plan` or `tags[3]`) "
        "and a `message`. Unknown and read-only fields are refused too.",
    ),
    "idempotency_key_mismatch": (
        422,
        "The Idempotency-Key was used before with a different "
        "method, path or body. Use a new key for a new request.",
    ),
    "rate_limited": (
        429,
        "Too many requests for this credential, or too many failed authentications "
        "from this address (a valid credential is still served). Wait `Retry-After` seconds.",
    ),
    "request_header_fields_too_large": (
        431,
        "The request's headers, every name and value together, are over the "
        "configured limit (16 KiB by default, `ROSTER_MAX_HEADER_BYTES`). Send "
        "fewer or shorter headers; the connection is closed.",
    ),
    "internal_error": (
        500,
        "Something went wrong inside Roster. It has been logged with the "
        "request's X-Request-Id; nothing was half-written.",
    ),
    "unavailable": (
        503,
        "The database or another dependency is unreachable. Retry after "
        "`Retry-After` seconds; nothing was written.",
    ),
}
