"""Generators of the built-in families, one module per category; each returns a PairDraft."""
