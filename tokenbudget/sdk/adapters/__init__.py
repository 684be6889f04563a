"""One adapter per provider SDK: which calls to record and how their usage maps to the canonical record."""
