"""Models generated from Roster's OpenAPI document by openapi-python-client (clients/python/tools/generate.py); do not edit."""
