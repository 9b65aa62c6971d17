"""Benchmarks run as commands (`wms bench ...`), never as timed tests."""
