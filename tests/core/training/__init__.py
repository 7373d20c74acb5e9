"""Tests of sttx.core.training."""
