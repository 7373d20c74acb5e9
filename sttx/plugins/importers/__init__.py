"""Importer plugins: one module per corpus."""
