"""Credentials → Principal(tenant, scopes), and the scope checks every route declares."""
