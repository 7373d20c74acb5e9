"""Tests of sttx.core.evaluation."""
