"""Use cases: each takes plain values and a Database, and owns its transaction."""
