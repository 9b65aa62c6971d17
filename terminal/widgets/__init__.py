"""Widgets shared by the terminal's screens."""
