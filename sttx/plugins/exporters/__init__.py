"""Exporter plugins: one module per export format."""
