"""HTTP entry points: parse, call one service, map errors to problem responses."""
