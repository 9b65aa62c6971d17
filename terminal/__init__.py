"""wms-terminal: the scanner client for pickers, packers and receivers (Textual)."""
