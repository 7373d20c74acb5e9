"""The core: contracts (hookspecs, registries, grammar, data types) and the engines that use them."""
