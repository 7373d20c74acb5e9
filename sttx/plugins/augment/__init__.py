"""Augmentation plugins: one module per augmentation."""
