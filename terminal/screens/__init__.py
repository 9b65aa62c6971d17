"""One Screen per flow: login, menu, pick, pack, receive, move, count, lookup, error."""
