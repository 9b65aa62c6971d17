"""Warehouse management system: one truth for stock and orders across sales channels."""
