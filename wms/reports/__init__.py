"""Reports: queries over the facts the warehouse records."""
