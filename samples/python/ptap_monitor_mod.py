"""A module for monitor.py to import: small, not in the stdlib, imports nothing."""
VALUE = 42
