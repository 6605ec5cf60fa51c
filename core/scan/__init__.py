"""Scanning a tenant: evaluation, scoring, finding lifecycle and the scan use case."""
