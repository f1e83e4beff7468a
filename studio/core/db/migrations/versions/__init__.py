"""Alembic migration scripts.

Frozen history: a migration that has run in someone's project is never edited, so the pairs the
duplicates report finds between these files (the same revision header, the same column lists,
the same index calls) stay as they are.
"""
