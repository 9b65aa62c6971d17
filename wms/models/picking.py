"""Tables of the floor: picking (filled in by the floor work)."""
