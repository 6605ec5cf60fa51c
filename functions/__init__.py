"""Entry points only: HTTP routes, timer and queue triggers, the CLI. No business rules here."""
