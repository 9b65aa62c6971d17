"""Pure warehouse rules: no I/O, no database, standard library only."""
