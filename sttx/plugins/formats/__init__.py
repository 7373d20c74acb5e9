"""Sample-collection formats: one plugin module per format (CSV, SDB, JSONL)."""
