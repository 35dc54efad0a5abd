"""The partner dealer gateway: signatures (two schemes, two secrets while rotating), 401 → 403 → 400 in that
order, replay once, secrets sealed at rest and never logged."""
import logging
import time

import pytest
from sqlalchemy import select

from aftersales_shared.testing import database, events
from aftersales_shared.timeutil import utcnow

from intake.adapters.secret_box import SecretBox
from intake.adapters.tables import metadata, outbox, partner_secrets

from dealer import as_partner, signed, webhook_signed

EVENTS = "/api/v1/partner/events"
DEALER = {"partner_id": "D-17", "name": "Huadong Electric", "sites": ["SH-01"], "event_types": ["TicketCreated"]}


@pytest.fixture
def intake(intake_with):
    # The wall clock: signatures carry the real time.
    return intake_with(clock=utcnow, PARTNER_SECRETS_KEY=SecretBox.new_key())


@pytest.fixture
def secret(client):
    answer = client.post("/api/v1/partners", json=DEALER)
    assert answer.status_code == 201, answer.json
    assert answer.json["partner_id"] == "D-17"
    return answer.json["secret"]


def ticket(**changes):
    return as_partner("D-17", events.ticket_created(), **{"channel": "dealer", "partner_id": "D-17", **changes})


def post(client, body, headers):
    return client.post(EVENTS, data=body, headers=headers)


def published(intake):
    return database.outbox_bodies(intake.runtime.engine, outbox)


def test_a_signed_post_is_accepted_and_published_unchanged(client, intake, secret):
    envelope = ticket()
    answer = post(client, *signed("D-17", secret, envelope))

    assert answer.status_code == 202, answer.json
    assert answer.json == {"id": envelope["id"], "replayed": False}
    (sent,) = published(intake)
    assert sent == envelope
    assert sent["source"] == "partner/D-17"


def test_a_replay_is_202_and_has_no_second_effect(client, intake, secret):
    envelope = ticket()
    post(client, *signed("D-17", secret, envelope))
    again = post(client, *signed("D-17", secret, envelope))
    assert again.status_code == 202 and again.json["replayed"] is True
    assert len(published(intake)) == 1


@pytest.mark.parametrize("spoil", ["signature", "stale", "future", "partner", "missing"])
def test_a_bad_signature_stale_time_or_unknown_partner_is_401(client, intake, secret, spoil):
    envelope = ticket()
    now = int(time.time())
    body, headers = signed("D-17", secret, envelope, timestamp=now - 301 if spoil == "stale" else
                           now + 301 if spoil == "future" else now)
    if spoil == "signature":
        body, headers = signed("D-17", secret.replace("whsec_", "whsec_X"), envelope)
    if spoil == "partner":
        headers["X-Partner-Id"] = "D-99"
    if spoil == "missing":
        del headers["X-Signature"]
    answer = post(client, body, headers)
    assert answer.status_code == 401
    assert published(intake) == []


def test_within_the_tolerance_is_accepted(client, secret):
    body, headers = signed("D-17", secret, ticket(), timestamp=int(time.time()) - 290)
    assert post(client, body, headers).status_code == 202


def test_a_type_or_site_the_partner_may_not_post_is_403(client, intake, secret):
    repair = as_partner("D-17", events.repair_completed())
    assert post(client, *signed("D-17", secret, repair)).status_code == 403
    other_site = {**ticket(), "site": "BJ-02"}
    answer = post(client, *signed("D-17", secret, other_site))
    assert answer.status_code == 403
    assert "BJ-02" in answer.json["errors"]["partner"][0]
    posing = {**ticket(), "source": "partner/D-18"}
    assert post(client, *signed("D-17", secret, posing)).status_code == 403
    assert published(intake) == []


def test_a_body_that_breaks_the_schema_is_400(client, intake, secret):
    broken = ticket()
    del broken["data"]["customer"]
    answer = post(client, *signed("D-17", secret, broken))
    assert answer.status_code == 400
    assert "customer" in answer.json["errors"]["data"]
    assert post(client, *signed("D-17", secret, {**ticket(), "version": "one"})).status_code == 400
    assert post(client, *signed("D-17", secret, ticket(channel="hotline"))).status_code == 400
    assert published(intake) == []


def test_checked_in_order_401_then_403_then_400(client, secret):
    broken_elsewhere = {**ticket(), "site": "BJ-02"}
    del broken_elsewhere["data"]["customer"]
    body, headers = signed("D-17", secret, broken_elsewhere)
    assert post(client, body, {**headers, "X-Signature": "sha256=00"}).status_code == 401
    assert post(client, body, headers).status_code == 403


def test_old_and_new_secret_both_work_while_rotating_then_only_the_new(client, intake, secret):
    rotated = client.post("/api/v1/partners/D-17/secrets")
    assert rotated.status_code == 201
    new = rotated.json["secret"]
    assert new != secret
    assert client.post("/api/v1/partners/D-17/secrets").status_code == 409  # two active already

    assert post(client, *signed("D-17", secret, ticket())).status_code == 202
    assert post(client, *signed("D-17", new, ticket())).status_code == 202

    assert client.delete("/api/v1/partners/D-17/secrets/previous").status_code == 204
    assert post(client, *signed("D-17", secret, ticket())).status_code == 401
    assert post(client, *signed("D-17", new, ticket())).status_code == 202
    assert client.delete("/api/v1/partners/D-17/secrets/previous").status_code == 409


def test_standard_webhooks_signatures_are_accepted_too(client, intake, secret):
    body, headers = webhook_signed(secret, ticket())
    assert post(client, body, headers).status_code == 202
    body, headers = webhook_signed(secret, ticket(), timestamp=int(time.time()) - 400)
    assert post(client, body, headers).status_code == 401
    body, headers = webhook_signed(secret, ticket())
    assert post(client, body, {**headers, "webhook-signature": "v1,AAAA"}).status_code == 401


def test_a_dealer_repair_goes_out_for_billing(client, intake):
    answer = client.post("/api/v1/partners", json={**DEALER, "partner_id": "D-5",
                                                   "event_types": ["TicketCreated", "RepairCompleted"]})
    repair = as_partner("D-5", events.repair_completed())
    assert post(client, *signed("D-5", answer.json["secret"], repair)).status_code == 202
    assert [b["type"] for b in published(intake)] == ["RepairCompleted"]


def test_registration_refuses_a_second_partner_with_the_id_and_unknown_partners_are_404(client, secret):
    assert client.post("/api/v1/partners", json=DEALER).status_code == 409
    assert client.post("/api/v1/partners/D-404/secrets").status_code == 404
    assert client.post("/api/v1/partners", json={**DEALER, "partner_id": "D 1"}).status_code == 400


def test_the_secret_is_sealed_at_rest_and_never_logged(client, intake, caplog):
    caplog.set_level(logging.DEBUG)
    secret = client.post("/api/v1/partners", json=DEALER).json["secret"]
    new = client.post("/api/v1/partners/D-17/secrets").json["secret"]
    post(client, *signed("D-17", secret, ticket()))
    post(client, *signed("D-17", "wrong", ticket()))
    client.delete("/api/v1/partners/D-17/secrets/previous")

    everything_logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert secret not in everything_logged and new not in everything_logged
    with intake.runtime.engine.connect() as connection:
        stored = connection.execute(select(partner_secrets.c.secret_encrypted)).scalars().all()
    assert len(stored) == 2
    assert all(secret.encode() not in bytes(token) and new.encode() not in bytes(token) for token in stored)
    assert secret not in repr(database.snapshot(intake.runtime.engine, metadata))


def test_the_cli_registers_rotates_and_retires(intake, client):
    import io

    from intake.entrypoints.cli import main

    out, err = io.StringIO(), io.StringIO()
    assert main(["register", "D-30", "--name", "Xinhua", "--site", "SH-01", "--type", "TicketCreated"], intake,
                out, err) == 0
    first = out.getvalue().strip()
    assert first.startswith("whsec_")
    assert main(["register", "D-30", "--name", "x", "--site", "SH-01", "--type", "TicketCreated"], intake,
                io.StringIO(), err) == 1
    out = io.StringIO()
    assert main(["rotate", "D-30"], intake, out, err) == 0
    second = out.getvalue().strip()
    def envelope():
        return as_partner("D-30", events.ticket_created(), channel="dealer", partner_id="D-30")

    assert post(client, *signed("D-30", first, envelope())).status_code == 202
    assert main(["retire", "D-30"], intake, io.StringIO(), err) == 0
    assert post(client, *signed("D-30", first, envelope())).status_code == 401
    assert post(client, *signed("D-30", second, envelope())).status_code == 202
    assert main(["rotate", "D-404"], intake, io.StringIO(), err) == 1


def test_a_dealer_ticket_is_kept_for_the_desk_and_follows_the_reports(client, intake, secret):
    envelope = ticket()
    assert post(client, *signed("D-17", secret, envelope)).status_code == 202
    ticket_id = envelope["data"]["ticket_id"]
    seen = client.get(f"/api/v1/tickets/{ticket_id}").json
    assert (seen["channel"], seen["partner_id"], seen["state"], seen["site"]) == (
        "dealer", "D-17", "awaiting_dispatch", "SH-01")
    assert seen["timeline"][0]["change"]["by"] == "partner/D-17"
    intake.runtime.bus.handle(events.repair_completed(ticket_id))
    assert client.get(f"/api/v1/tickets/{ticket_id}").json["state"] == "completed"
    again = {**ticket(), "data": {**envelope["data"]}}
    assert post(client, *signed("D-17", secret, again)).status_code == 400
