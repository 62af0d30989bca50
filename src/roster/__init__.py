"""Roster: a self-hosted contacts service for messaging platforms."""
