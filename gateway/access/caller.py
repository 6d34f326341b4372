"""Who is asking: the caller a verified token describes, or the anonymous caller."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles of the contract's "Who may do what" table."""

    STAFF = "STAFF"
    DEPT_SYSTEM = "DEPT_SYSTEM"
    FINANCE = "FINANCE"
    ANALYST = "ANALYST"
    ADMIN = "ADMIN"


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified caller. `sub` is an 18-digit NIP for people (STAFF, FINANCE) or a client
    id for systems; `department` is the finance code a DEPT_SYSTEM acts for."""

    sub: str | None = None
    roles: frozenset[Role] = frozenset()
    department: str | None = None
    expires_at: float | None = None  # the token's exp, in seconds since the epoch

    @property
    def anonymous(self) -> bool:
        return self.sub is None

    @property
    def nip(self) -> str | None:
        """The caller's NIP when `sub` is one."""
        sub = self.sub
        is_nip = sub is not None and len(sub) == 18 and sub.isascii() and sub.isdigit()
        return sub if is_nip else None

    def has(self, role: Role) -> bool:
        return role in self.roles


ANONYMOUS = Caller()
