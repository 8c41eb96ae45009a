"""The shared kernel: settings, domain types, database models and sessions.

Nothing in here imports another Écoute package, so every other room can rely on it.
"""
