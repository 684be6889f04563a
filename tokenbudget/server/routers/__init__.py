"""One router per file; server/app.py includes them all."""
