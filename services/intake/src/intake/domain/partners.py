"""Partner dealers: who may post what for which sites, and how a post proves it comes from them.

Two signature schemes, both HMAC-SHA256 with the partner's secret and a ±300 s clock tolerance:
- the contract's: ``X-Partner-Id``, ``X-Timestamp`` (Unix seconds), ``X-Signature: sha256=<hex>`` over
  ``"<timestamp>.<raw body>"``;
- Standard Webhooks (standardwebhooks.com): ``webhook-id``, ``webhook-timestamp``,
  ``webhook-signature: v1,<base64> [v1,<base64> ...]`` over ``"<id>.<timestamp>.<raw body>"``, keyed with the
  base64 part of a ``whsec_`` secret. Secrets are issued in that form, so one secret serves both schemes.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _random
from dataclasses import dataclass
from typing import Iterable, Mapping

TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"
PARTNER_EVENT_TYPES = ("TicketCreated", "RepairCompleted")


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    sites: tuple[str, ...]
    event_types: tuple[str, ...]

    @property
    def source(self) -> str:
        return f"partner/{self.partner_id}"

    def refusal(self, event_type, site, source) -> str | None:
        """Why this partner may not post this (403), or None. Only what is there to judge is judged; a body
        missing these fields is the schema's business (400)."""
        if isinstance(event_type, str) and event_type not in self.event_types:
            return f"Partner {self.partner_id} may not post {event_type} events."
        if isinstance(site, str) and site not in self.sites:
            return f"Partner {self.partner_id} may not post for site {site}."
        if isinstance(source, str) and source != self.source:
            return f"Partner {self.partner_id} posts as {self.source}, not {source}."
        return None


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(32)).decode("ascii")


def _key(secret: str) -> bytes:
    return secret.encode("utf-8")


def _webhook_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def contract_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(_key(secret), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def webhook_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode("utf-8") + body
    return "v1," + base64.b64encode(hmac.new(_webhook_key(secret), signed, hashlib.sha256).digest()).decode("ascii")


def _fresh(timestamp: str | None, now: float) -> bool:
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    return abs(now - int(timestamp)) <= TOLERANCE_SECONDS


def verify(secrets: Iterable[str], headers: Mapping[str, str], body: bytes, now: float) -> bool:
    """Whether the post is signed with any active secret (constant-time compares) within the tolerance."""
    secrets = list(secrets)
    if headers.get("X-Signature") is not None:
        timestamp, offered = headers.get("X-Timestamp"), headers["X-Signature"]
        if not _fresh(timestamp, now):
            return False
        return _any_match((contract_signature(s, timestamp, body) for s in secrets), [offered.strip()])
    message_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    offered = (headers.get("webhook-signature") or "").split()
    if not message_id or not offered or not _fresh(timestamp, now):
        return False
    return _any_match((webhook_signature(s, message_id, timestamp, body) for s in secrets), offered)


def _any_match(expected: Iterable[str], offered: list[str]) -> bool:
    matched = False
    for signature in expected:
        for candidate in offered:
            # Every pair compared, no early exit: the time taken says nothing about which one matched.
            matched |= hmac.compare_digest(signature.encode("utf-8"), candidate.encode("utf-8", "replace"))
    return matched
