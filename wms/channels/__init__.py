"""Channel adapters: verify and parse webhooks, map orders, build pushes (no database)."""
