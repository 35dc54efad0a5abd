"""What a dealer's client does (the README shows the same): sign "<timestamp>.<raw body>" and post."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid


def signed(partner_id: str, secret: str, envelope: dict, timestamp: int | None = None) -> tuple[bytes, dict]:
    body = json.dumps(envelope, separators=(",", ":")).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, {"X-Partner-Id": partner_id, "X-Timestamp": ts, "X-Signature": f"sha256={digest}",
                  "Content-Type": "application/json"}


def webhook_signed(secret: str, envelope: dict, timestamp: int | None = None) -> tuple[bytes, dict]:
    """Standard Webhooks: key is the base64 part of the whsec_ secret, content "<id>.<timestamp>.<body>"."""
    body = json.dumps(envelope).encode()
    ts, message_id = str(int(time.time()) if timestamp is None else timestamp), f"msg_{uuid.uuid4().hex}"
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return body, {"webhook-id": message_id, "webhook-timestamp": ts,
                  "webhook-signature": "v1," + base64.b64encode(digest).decode(), "Content-Type": "application/json"}


def as_partner(dealer_id: str, built, **data_changes) -> dict:
    """An envelope from the shared builders, as the dealer sends it: its own source, its changes to the data."""
    body = built.to_dict()
    return {**body, "source": f"partner/{dealer_id}", "data": {**body["data"], **data_changes}}
