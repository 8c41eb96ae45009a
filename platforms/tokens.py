"""Reading access tokens at the moment of each call.

Tokens live in environment variables named by the configuration. Reading the variable
on every call (instead of once at start-up) means that when an operator renews an
expired token, the next attempt uses it: the source recovers without a restart.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ecoute.platforms.base import AuthenticationFailed

TokenSource = Callable[[], str]


def from_environment(variable: str, what: str) -> TokenSource:
    """A token source reading `variable`; a missing value is an authentication problem."""

    def read() -> str:
        value = os.environ.get(variable, "").strip()
        if not value:
            raise AuthenticationFailed(
                f"environment variable {variable} is empty; export {what} in it and restart "
                "Écoute or wait for the next poll"
            )
        return value

    return read


def fixed(value: str) -> TokenSource:
    return lambda: value
