"""Tests of the sample-format plugins."""
