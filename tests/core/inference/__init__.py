"""Tests of sttx.core.inference."""
