"""Tenants and their API keys: the control plane."""
