"""Loads an organisation through the services' public APIs; the bus carries the rest.

Tickets go to intake; dispatch assigns them from TicketCreated, inventory reserves parts; the engineers'
reports go to dispatch, and billing and fracas book settlements and failure records from
RepairCompleted. Everything creating carries a deterministic Idempotency-Key (or is refused as a
duplicate by id), so seeding again with the same seed adds nothing.

Endpoints some versions of the services do not serve yet (partners, the parts catalogue) are skipped
with a note, not an error: the rest of the organisation still loads.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from ..http import Client, OpsError, ServiceError
from ..output import Output
from .organisation import (
    CATALOGUE, PART_COSTS, Job, Organisation, completion_body, installed_base_body, ticket_body,
)

INSTALLED_BASE_CHUNK = 500


# Work-order states in which the job is done (on site: completed; depot and mail-in: returned).
DONE = ("completed", "returned")
# A depot job's workshop states before quality control, each with the action that leaves it.
DEPOT_STEPS = [("awaiting_unit", "receive"), ("received", "diagnose"), ("diagnosing", "repair"), ("repairing", "qc")]


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)  # seconds each step took
    secrets: dict[str, str] = field(default_factory=dict)
    ticket_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def document(self, show_secrets: bool = False) -> dict:
        document = {"counts": self.counts, "skipped": self.skipped, "seconds": round(self.seconds, 1),
                    "stages": self.stages,
                    "tickets": self.ticket_ids}
        if show_secrets:
            document["partner_secrets"] = self.secrets
        return document


class Seeder:
    def __init__(self, client: Client, out: Output, workers: int = 8, wait_seconds: float = 120.0):
        self.client = client
        self.out = out
        self.workers = workers
        self.wait_seconds = wait_seconds
        self.result = SeedResult()

    def run(self, org: Organisation) -> SeedResult:
        started = time.monotonic()
        # Each of these talks to another service: loading them side by side takes as long as the longest.
        with ThreadPoolExecutor(4) as pool:
            loads = [pool.submit(self.partners, org), pool.submit(self.stock, org),
                     pool.submit(self.each, "engineers", org.engineers, self._engineer),
                     pool.submit(self.installed_base, org)]
            engineers = loads[2].result()
            for load in loads:
                load.result()
        # A ticket's calls follow one another (taken, assigned, repaired); many tickets are under way at once.
        repaired = self.each("tickets repaired", org.jobs, self._repair, workers=2 * self.workers)
        self.result.ticket_ids = [ticket_id for ticket_id, _ in repaired]
        settled = self.each("settlements booked", self.result.ticket_ids, self._settled)
        failures = self.each("failure records", self.result.ticket_ids, self._failure_recorded)
        self.result.counts.update({
            "regions": len(org.regions), "service_points": len(org.sites), "engineers": sum(engineers),
            "tickets": len(repaired), "work_orders": len(repaired),
            "repairs_completed": sum(1 for _, done in repaired if done),
            # Tickets settled: a compliance penalty or clawback is a settlement document of its own, posted later.
            "settlements": sum(1 for documents in settled if documents),
            "failure_records": sum(failures)})
        self.result.seconds = time.monotonic() - started
        return self.result

    def stock(self, org: Organisation) -> None:
        """The catalogue first (where inventory has one), then what each site received."""
        self.parts_catalogue()
        self.result.counts["stock_receipts"] = sum(self.each("stock receipts", org.receipts, self._receipt))

    def _repair(self, job: Job) -> tuple[str, bool]:
        ticket_id = self._ticket(job)
        order = self._assigned((job.key, ticket_id))
        return ticket_id, self._complete((job, order))

    # -- the steps ------------------------------------------------------------------------------------

    def each(self, what: str, items: list, action: Callable, workers: int | None = None) -> list:
        """``action`` on every item, ``workers`` at a time, with a progress bar; results in item order."""
        results = [None] * len(items)
        started = time.monotonic()
        with self.out.progress(what, len(items)) as step, ThreadPoolExecutor(workers or self.workers) as pool:
            futures = [pool.submit(action, item) for item in items]
            for index, future in enumerate(futures):
                results[index] = future.result()
                step.advance()
        self.result.stages[what] = round(time.monotonic() - started, 1)
        return results

    def partners(self, org: Organisation) -> None:
        if not self.client.offers("intake", "POST", "/api/v1/partners"):
            self.result.skipped["dealers"] = "intake does not serve POST /api/v1/partners yet"
            return

        def register(dealer: dict):
            try:
                answer = self.client.post("intake", "/api/v1/partners", dealer, key=f"demo-partner-{dealer['partner_id']}")
            except ServiceError as exc:
                if exc.status == 409:  # registered by an earlier seeding; its secret was shown then
                    return True
                raise
            self.result.secrets[dealer["partner_id"]] = answer.get("secret", "")
            return True

        try:
            self.result.counts["dealers"] = sum(self.each("dealers", org.dealers, register))
        except ServiceError as exc:  # a dealer intake refuses need not stop the rest of the organisation
            self.result.skipped["dealers"] = str(exc)

    def parts_catalogue(self) -> None:
        if not self.client.offers("inventory", "PUT", "/api/v1/parts/{part_no}"):
            self.result.skipped["parts_catalogue"] = ("inventory does not serve PUT /api/v1/parts/<part_no> yet; "
                                                       "stock receipts create the parts")
            return
        entries = {}
        for category, (_, failures) in CATALOGUE.items():
            for part_no, _, _ in failures:
                entries.setdefault(part_no, category)

        def put(item):
            part_no, category = item
            list_price = f"{float(PART_COSTS[part_no]) * 1.45:.2f}"
            self.client.request("inventory", "PUT", f"/api/v1/parts/{part_no}", ok=(200, 201), json={
                "description": part_no, "category": category, "list_price": list_price, "returnable": True})
            return True

        try:
            self.result.counts["catalogue_parts"] = sum(self.each("parts catalogue", sorted(entries.items()), put))
        except ServiceError as exc:
            self.result.skipped["parts_catalogue"] = str(exc)

    def _engineer(self, engineer) -> bool:
        try:
            self.client.post("dispatch", "/api/v1/engineers", {
                "engineer_id": engineer.engineer_id, "name": engineer.name, "site": engineer.site,
                "region": engineer.region, "skills": list(engineer.skills)}, key=f"demo-{engineer.engineer_id}")
        except ServiceError as exc:
            if exc.status != 409:
                raise
        return True

    def _receipt(self, receipt: dict) -> bool:
        self.client.post("inventory", "/api/v1/stock/receipts", receipt,
                         key=f"demo-receipt-{receipt['site']}-{receipt['part_no']}")
        return True

    def installed_base(self, org: Organisation) -> None:
        units = org.installed_base
        chunks = [units[i:i + INSTALLED_BASE_CHUNK] for i in range(0, len(units), INSTALLED_BASE_CHUNK)]
        registered = self.each("installed base", list(enumerate(chunks)), lambda item: self.client.post(
            "fracas", "/api/v1/installed-base", installed_base_body(item[1]),
            key=f"demo-{org.seed}-units-{item[0]}-{len(item[1])}")["registered"])
        self.result.counts["installed_base"] = sum(registered)

    def _ticket(self, job: Job) -> str:
        return self.client.post("intake", "/api/v1/tickets", ticket_body(job), key=job.key)["id"]

    def _wait(self, what: str, probe: Callable[[], object]):
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.05
        while True:
            found = probe()
            if found:
                return found
            if time.monotonic() > deadline:
                raise OpsError(f"gave up after {self.wait_seconds:.0f}s waiting for {what} "
                               f"(are every service's workers running? try `aftersales outbox status`)")
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def _orders(self, ticket_id: str) -> list[dict]:
        return self.client.get("dispatch", "/api/v1/work-orders", params={"ticket_id": ticket_id})

    def _assigned(self, item) -> dict:
        _, ticket_id = item

        def assigned():
            # An engineer on it, whatever it waits for (parts in transit, say); a completed one: this ticket
            # was seeded (and repaired) before.
            return next((o for o in self._orders(ticket_id)
                         if o["status"] in DONE or (o.get("engineer_id") and o["status"] != "cancelled")),
                        None)

        return self._wait(f"ticket {ticket_id}'s work order to be assigned", assigned)

    def _complete(self, item) -> bool:
        job, order = item
        if order["status"] in DONE:
            return True
        # A depot or mail-in unit goes through the workshop before the report closes it.
        states = [state for state, _ in DEPOT_STEPS]
        steps = DEPOT_STEPS[states.index(order["status"]):] if order["status"] in states else []
        for _, action in steps:
            try:
                self.client.post("dispatch", f"/api/v1/work-orders/{order['id']}/{action}",
                                 {"engineer_id": order["engineer_id"]}, key=f"{job.key}-{action}")
            except ServiceError as exc:
                if exc.status != 409:
                    raise
        try:
            self.client.post("dispatch", f"/api/v1/work-orders/{order['id']}/complete", completion_body(job),
                             key=f"{job.key}-complete")
        except ServiceError as exc:
            if exc.status != 409:
                raise
        return True

    def _settled(self, ticket_id: str) -> int:
        return len(self._wait(f"ticket {ticket_id}'s settlement", lambda: self.client.get(
            "billing", "/api/v1/settlements", params={"ticket_id": ticket_id})))

    def _failure_recorded(self, ticket_id: str) -> int:
        return len(self._wait(f"ticket {ticket_id}'s failure record", lambda: self.client.get(
            "fracas", "/api/v1/failures", params={"ticket_id": ticket_id})))

