"""Label validator plugins, by locale."""
