"""``/v1/api-keys``: an admin manages its tenant's API keys (create, list, revoke)."""
