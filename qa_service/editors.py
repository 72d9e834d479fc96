"""Who may write: the admin tokens and the name each one writes under.

`QA_ADMIN_TOKEN` is one token, named "admin". `QA_ADMIN_TOKENS` names a file of `name:sha256-of-token` lines, one
per editor, so that the secrets themselves are stored nowhere on the server; a token is recognised by its hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError, Settings

SINGLE_TOKEN_NAME = "admin"
NAME_PATTERN = re.compile(r"[A-Za-z0-9._@+\- ]{1,64}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def token_hash(token: str) -> str:
    """What a tokens file holds for a token: its SHA-256, in lower-case hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EditorTokens:
    """The hashes of the tokens that may write, each with its editor's name."""

    named_hashes: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> EditorTokens:
        named = []
        if settings.qa_admin_token:
            named.append((SINGLE_TOKEN_NAME, token_hash(settings.qa_admin_token)))
        if settings.qa_admin_tokens:
            named.extend(read_tokens_file(Path(settings.qa_admin_tokens)))
        return cls(tuple(named))

    @property
    def enabled(self) -> bool:
        return bool(self.named_hashes)

    def name_of(self, token: str) -> str | None:
        """The name the token writes under, or None when it is none of them.

        Every hash is compared, in constant time: neither which editor matched nor how much of a guess did may
        show in the reply's timing."""
        given = token_hash(token).encode("ascii")
        found = None
        for name, expected in self.named_hashes:
            if hmac.compare_digest(given, expected.encode("ascii")) and found is None:
                found = name
        return found


def read_tokens_file(path: Path) -> list[tuple[str, str]]:
    """The `name:sha256` lines of a tokens file; blank lines and lines starting with '#' are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"QA_ADMIN_TOKENS: cannot read {path}: {exc}") from exc
    named, names = [], set()
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, digest = line.rpartition(":")
        name, digest = name.strip(), digest.strip().lower()
        if not NAME_PATTERN.fullmatch(name) or not _SHA256_HEX.fullmatch(digest):
            raise ConfigError(f"QA_ADMIN_TOKENS: line {number} of {path} is not 'name:sha256-of-token' (a name of "
                              "1 to 64 letters, digits, spaces or ._@+-, and 64 hex digits)")
        if name in names:
            raise ConfigError(f"QA_ADMIN_TOKENS: the name {name!r} is on two lines of {path}")
        names.add(name)
        named.append((name, digest))
    return named
