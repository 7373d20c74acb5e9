"""sttx's built-in plugins, written exactly as third-party plugins are: one module per contribution."""
