"""The plugin contract: hookspecs, registries, plugin manager, grammar, augmentation contract, sample types, errors.

The bottom of the house: modules here import only each other (and never TensorFlow), so importing the contract is
cheap and every other stage may build on it.
"""
