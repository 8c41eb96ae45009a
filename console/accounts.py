"""Console accounts: argon2 password hashes and a login throttle.

argon2 (through argon2-cffi) is the current recommendation for password storage; the
throttle slows guessing without letting an attacker lock a real user out for long.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.core.audit import record
from ecoute.core.domain import Role
from ecoute.core.models import User

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown name like a real one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(Exception):
    """An account operation that cannot be done as asked."""


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise AccountError("a password needs at least 10 characters")
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role = Role.AGENT,
    language: str = "fr",
) -> User:
    username = username.strip().lower()
    if not username:
        raise AccountError("a username cannot be empty")
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"user {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        language=language,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=None,
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        after={"username": username, "role": str(role)},
    )
    return user


class LoginThrottle:
    """At most `attempts` failed logins per key (username or address) in `window_s`."""

    def __init__(self, attempts: int = 5, window_s: float = 300.0) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        return failures

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(key, now)) >= self.attempts for key in keys)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
