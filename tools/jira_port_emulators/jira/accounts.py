"""Who may call the emulator: basic auth (email + API token, username + password) and DC PATs."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jira_port_emulators.jira.catalog import Flavour


@dataclass(frozen=True)
class Account:
    """A login. ``secret`` is the Cloud API token or the Server password; ``pat`` a Data Center personal
    access token (Bearer). ``admin`` grants 'Administer Jira'; ``projects`` limits browsing to those keys
    (None = all). ``user_index`` is the dataset user the account acts as; ``browse_users`` is the global
    permission "Browse users and groups" that listing users needs."""

    login: str
    secret: str | None = None
    pat: str | None = None
    admin: bool = True
    projects: frozenset[str] | None = None
    user_index: int = 0
    browse_users: bool = True

    def __repr__(self) -> str:
        return f"Account(login={self.login!r}, admin={self.admin}, projects={self.projects!r})"

    def can_browse(self, project_key: str) -> bool:
        return self.projects is None or project_key.upper() in self.projects


def default_accounts(flavour: Flavour) -> list[Account]:
    """One admin: ``admin@example.com``/``api-token`` on Cloud; ``admin``/``admin`` + PAT on Server."""
    if flavour == "cloud":
        return [Account("admin@example.com", secret="api-token")]  # noqa: S106 - fake local credentials
    return [Account("admin", secret="admin", pat="local-pat")]  # noqa: S106 - fake local credentials


def as_accounts(users: Mapping[str, str] | Iterable[Account] | None, flavour: Flavour) -> list[Account]:
    """Accept ``{login: secret}`` (admins) or ``Account`` objects."""
    if users is None:
        return default_accounts(flavour)
    if isinstance(users, Mapping):
        return [
            Account(login, secret=secret, user_index=n) for n, (login, secret) in enumerate(users.items())
        ]
    return list(users)


def authenticate(header: str | None, accounts: list[Account], flavour: Flavour) -> Account | None:
    """The account an ``Authorization`` header proves, or None. Bearer PATs only on Server/DC."""
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and flavour == "server":
        return next((a for a in accounts if a.pat and hmac.compare_digest(a.pat, value)), None)
    login, sep, secret = "", "", ""
    if scheme.lower() == "basic":
        try:
            login, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            sep = ""
    if not sep:
        return None
    return next(
        (a for a in accounts if a.secret and a.login == login and hmac.compare_digest(a.secret, secret)), None
    )
