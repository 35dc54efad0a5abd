"""The seeder against fake services: what it sends, what it skips, and how a second run adds nothing."""
import itertools
from datetime import date

from aftersales_ops.config import Settings
from aftersales_ops.demo.organisation import build
from aftersales_ops.demo.seed import Seeder
from aftersales_ops.http import Client, ServiceError
from aftersales_ops.output import Output


class FakePlatform(Client):
    """Keeps what was created; answers like the services do (idempotent keys, 409 for a known engineer)."""

    def __init__(self, operations=()):
        super().__init__(Settings.from_env({}))
        self._openapi = {s: set(operations) for s in ("intake", "dispatch", "inventory", "billing", "fracas")}
        self.keys, self.engineers, self.tickets, self.completed = {}, set(), {}, set()
        self.ids = itertools.count(1)
        self.posts = []

    def post(self, service, path, body, *, key=None, ok=(200, 201, 202)):
        self.posts.append((service, path))
        if key in self.keys:
            return self.keys[key]
        if path == "/api/v1/engineers":
            if body["engineer_id"] in self.engineers:
                raise ServiceError(service, "POST", path, 409, {"errors": {"engineer_id": ["known"]}})
            self.engineers.add(body["engineer_id"])
            answer = body
        elif path == "/api/v1/tickets":
            ticket_id = f"T-{next(self.ids)}"
            self.tickets[ticket_id] = body
            answer = {"id": ticket_id}
        elif path == "/api/v1/installed-base":
            answer = {"registered": len(body)}
        elif path.endswith("/complete"):
            if path in self.completed:
                raise ServiceError(service, "POST", path, 409, {"errors": {"work_order_id": ["done"]}})
            self.completed.add(path)
            answer = {}
        else:
            answer = {"partner_id": body.get("partner_id"), "secret": "s3cret"} if "partner" in path else {}
        if key:
            self.keys[key] = answer
        return answer

    def get(self, service, path, params=None, ok=(200,)):
        ticket_id = params["ticket_id"]
        if path == "/api/v1/work-orders":
            done = f"/api/v1/work-orders/WO-{ticket_id}/complete" in self.completed
            return [{"id": f"WO-{ticket_id}", "status": "completed" if done else "assigned", "engineer_id": "E-1"}]
        return [{"ticket_id": ticket_id}]  # one settlement / failure record once asked


def seed(client, **kwargs):
    org = build(5, sites_per_city=1, tickets=12, units_per_site=2, today=date(2026, 11, 1))
    return org, Seeder(client, Output(progress=False), workers=4, wait_seconds=1).run(org)


def test_everything_is_loaded_and_each_ticket_ends_settled():
    client = FakePlatform()
    org, result = seed(client)
    assert result.counts["engineers"] == len(org.engineers) == len(client.engineers)
    assert result.counts["tickets"] == result.counts["repairs_completed"] == result.counts["settlements"] == 12
    assert result.counts["installed_base"] == len(org.installed_base)
    assert len(client.completed) == 12


def test_endpoints_a_service_lacks_are_skipped_and_named():
    _, result = seed(FakePlatform())
    assert "POST /api/v1/partners" in result.skipped["dealers"]
    assert "parts_catalogue" in result.skipped
    _, offered = seed(FakePlatform({("POST", "/api/v1/partners")}))
    assert "dealers" not in offered.skipped and offered.counts["dealers"] == 5
    assert set(offered.secrets.values()) == {"s3cret"}


def test_a_second_run_with_the_same_seed_creates_nothing_new():
    client = FakePlatform()
    _, first = seed(client)
    tickets, completed = dict(client.tickets), set(client.completed)
    _, again = seed(client)
    assert again.ticket_ids == first.ticket_ids
    assert client.tickets == tickets and client.completed == completed
    assert again.counts["engineers"] == first.counts["engineers"]


def test_a_dealer_intake_refuses_is_named_and_the_rest_still_loads():
    class Refusing(FakePlatform):
        def post(self, service, path, body, *, key=None, ok=(200, 201, 202)):
            if path == "/api/v1/partners":
                raise ServiceError(service, "POST", path, 400, {"errors": {"event_types": ["not allowed"]}})
            return super().post(service, path, body, key=key, ok=ok)

    _, result = seed(Refusing({("POST", "/api/v1/partners")}))
    assert "event_types" in result.skipped["dealers"]
    assert result.counts["settlements"] == 12
