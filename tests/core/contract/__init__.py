"""Tests of sttx.core.contract."""
