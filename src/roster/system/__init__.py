"""Health, readiness and the problem-type pages."""
