"""Partner secrets encrypted at rest with a key from the environment (Fernet: AES-128-CBC + HMAC-SHA256)."""
from __future__ import annotations

import logging

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)


class SecretBox:
    def __init__(self, key: str | bytes):
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "SecretBox(<key>)"

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode("ascii")

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def open(self, token: bytes) -> str | None:
        """None for a secret sealed with another key (the key was changed): it can no longer sign anything."""
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken:
            log.warning("a partner secret cannot be opened with the configured key")
            return None
