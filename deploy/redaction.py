"""Credentials out of every line `make run` prints."""
from __future__ import annotations

import re
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit

MASK = "***"
# scheme://user:password@ — the password is whatever lies between the first ':' after the user and '@'.
URL_CREDENTIALS = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]*:)[^\s@]+@")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN", re.I)
# Shorter secrets are masked in URLs only; masking every occurrence of two letters would garble the output.
MIN_MASKED_SECRET = 4


class Redactor:
    """Masks credentials in URLs, and anywhere the runner's own secrets appear verbatim."""

    def __init__(self, secrets: Iterable[str] = ()):
        self.secrets = sorted({s for s in secrets if len(s) >= MIN_MASKED_SECRET}, key=len, reverse=True)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "Redactor":
        secrets = []
        for name, value in environ.items():
            if SECRET_NAME.search(name):
                secrets.append(value)
            elif "://" in value:
                try:
                    password = urlsplit(value).password
                except ValueError:
                    continue
                if password:
                    secrets += [password, unquote(password)]
        return cls(secrets)

    def __call__(self, text: str) -> str:
        text = URL_CREDENTIALS.sub(rf"\g<1>{MASK}@", text)
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text
