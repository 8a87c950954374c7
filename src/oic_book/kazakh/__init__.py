"""Kazakh language support: hyphenation, typography, collation, labels and spelling."""
