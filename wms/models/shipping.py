"""Tables of the floor: shipping (filled in by the floor work)."""
