"""Tests of sttx.core.data."""
