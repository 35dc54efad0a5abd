"""The demo organisation as plain data, drawn from one seeded random generator.

Same seed, same organisation, same ids and Idempotency-Keys: seeding twice against one platform adds
nothing the second time, and two platforms seeded alike hold the same story.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from aftersales_shared.vocabulary import PRIORITIES

# region → cities whose service points it runs
REGIONS = {
    "east": ("SH", "HZ", "NJ", "SZH"),
    "north": ("BJ", "TJ", "SJZ"),
    "south": ("GZ", "SZ", "XM"),
    "west": ("CD", "CQ", "XA"),
    "central": ("WH", "CS", "ZZ"),
}
# category → (models, parts that fail in it with their failure modes and symptom codes)
CATALOGUE = {
    "washing_machine": (("WM-700", "WM-720", "WM-900"), (
        ("PCB-100", "open_circuit", "E21"), ("MTR-200", "bearing_wear", "E31"), ("SEAL-300", "leak", "E11"),
        ("PMP-210", "clogged", "E12"), ("BLT-220", "worn", "E33"), ("VLV-230", "stuck_closed", "E13"))),
    "refrigerator": (("RF-300", "RF-350"), (
        ("CMP-500", "no_start", "F01"), ("THM-310", "drift", "F12"), ("SNS-600", "open_circuit", "F14"),
        ("PCB-100", "short_circuit", "F21"))),
    "air_conditioner": (("AC-12K", "AC-18K"), (
        ("CAP-510", "capacitance_loss", "A05"), ("FAN-520", "bearing_wear", "A07"), ("CMP-500", "no_start", "A01"),
        ("SNS-600", "drift", "A14"))),
    "television": (("TV-55Q", "TV-65Q"), (
        ("PSU-700", "no_power", "T01"), ("LED-710", "dim_backlight", "T08"), ("RMT-720", "no_response", "T15"))),
    "water_heater": (("WH-60L",), (
        ("THM-310", "drift", "W02"), ("VLV-230", "leak", "W05"), ("PCB-100", "open_circuit", "W21"))),
}
PART_COSTS = {"PCB-100": "180.00", "MTR-200": "320.00", "SEAL-300": "35.00", "PMP-210": "48.00",
              "BLT-220": "15.00", "VLV-230": "22.00", "THM-310": "26.00", "CMP-500": "610.00",
              "CAP-510": "18.00", "FAN-520": "95.00", "SNS-600": "9.50", "PSU-700": "140.00",
              "LED-710": "120.00", "RMT-720": "12.00"}
SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun", "Ma", "Zhu")
GIVEN = ("Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Tao", "Ping", "Hui", "Lin", "Bo")
STREETS = ("Nanjing Road", "Jiefang Avenue", "Renmin Road", "Zhongshan Road", "Xinhua Street", "Beijing Road")
DEALER_EVENT_TYPES = ("TicketCreated", "RepairCompleted")


@dataclass(frozen=True)
class Site:
    code: str
    region: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Engineer:
    engineer_id: str
    name: str
    site: str
    region: str
    skills: tuple[str, ...]


@dataclass(frozen=True)
class Unit:
    serial: str
    model: str
    category: str
    purchase_date: date
    batch: str


@dataclass(frozen=True)
class Job:
    """One service call: the ticket a customer opens and the engineer's report that completes it."""
    key: str  # the Idempotency-Key of the ticket's POST, and the stem of the completion's
    site: Site
    unit: Unit
    part_no: str
    failure_mode: str
    symptom_code: str
    customer: str
    phone: str
    address: str
    priority: str
    service_type: str
    labour_minutes: int
    outcome: str


@dataclass
class Organisation:
    seed: int
    sites: list[Site] = field(default_factory=list)
    engineers: list[Engineer] = field(default_factory=list)
    dealers: list[dict] = field(default_factory=list)
    receipts: list[dict] = field(default_factory=list)
    installed_base: list[Unit] = field(default_factory=list)
    stock: dict[str, tuple[str, ...]] = field(default_factory=dict)  # site → the parts it holds
    jobs: list[Job] = field(default_factory=list)

    @property
    def regions(self) -> list[str]:
        return sorted({site.region for site in self.sites})

    def counts(self) -> dict[str, int]:
        return {"regions": len(self.regions), "service_points": len(self.sites), "engineers": len(self.engineers),
                "dealers": len(self.dealers), "stock_receipts": len(self.receipts),
                "installed_units": len(self.installed_base), "tickets": len(self.jobs)}


def build(seed: int, sites_per_city: int = 4, tickets: int = 120, units_per_site: int = 12,
          months: int = 18, parts_per_category: int | None = None, today: date | None = None) -> Organisation:
    """``parts_per_category``: how many of each category's spare parts a site stocks (default all of them);
    tickets only ask for parts their site stocks."""
    rng = random.Random(seed)
    # Dates count back from the month's first day: seeding again within the month sends the same bodies.
    today = today or date.today().replace(day=1)
    org = Organisation(seed)
    tag = f"{seed:x}"[-4:].upper().rjust(4, "0")  # keeps two seeds' ids apart on one platform
    categories = list(CATALOGUE)
    for region, cities in REGIONS.items():
        for city in cities:
            for number in range(1, sites_per_city + 1):
                served = tuple(sorted(rng.sample(categories, rng.randint(3, len(categories)))))
                org.sites.append(Site(f"{city}-{tag}-{number:02d}", region, served))
    for site in org.sites:
        # Every category the site serves has at least one engineer for it, so every job gets assigned.
        crew = rng.randint(2, 3)
        skills_left = list(site.categories)
        for index in range(1, crew + 1):
            skills = set(rng.sample(site.categories, min(2, len(site.categories))))
            if index == crew:
                skills |= set(skills_left)
            skills_left = [c for c in skills_left if c not in skills]
            org.engineers.append(Engineer(f"ENG-{site.code}-{index}", _name(rng), site.code, site.region,
                                          tuple(sorted(skills))))
        stocked = set()
        for category in site.categories:
            failures = CATALOGUE[category][1]
            chosen = failures if parts_per_category is None else rng.sample(failures, min(parts_per_category,
                                                                                         len(failures)))
            stocked |= {part_no for part_no, _, _ in chosen}
        org.stock[site.code] = tuple(sorted(stocked))
        for part_no in org.stock[site.code]:
            org.receipts.append({"site": site.code, "part_no": part_no, "qty": rng.randint(8, 30),
                                 "unit_cost": PART_COSTS[part_no]})
        for number in range(units_per_site):
            org.installed_base.append(_unit(rng, site, number, today, months, tag))
    for region in REGIONS:
        region_sites = [s.code for s in org.sites if s.region == region]
        org.dealers.append({"partner_id": f"dealer-{region}-{tag.lower()}",
                            "name": f"{region.title()} Appliance Dealers {tag}",
                            "sites": rng.sample(region_sites, min(3, len(region_sites))),
                            "event_types": list(DEALER_EVENT_TYPES)})
    by_site: dict[str, list[Unit]] = {}
    for unit, site in zip(org.installed_base, (s for s in org.sites for _ in range(units_per_site))):
        by_site.setdefault(site.code, []).append(unit)
    sites_by_code = {site.code: site for site in org.sites}
    for number in range(tickets):
        site = sites_by_code[rng.choice(list(by_site))]
        unit = rng.choice(by_site[site.code])
        part_no, failure_mode, symptom = rng.choice(
            [f for f in CATALOGUE[unit.category][1] if f[0] in org.stock[site.code]])
        org.jobs.append(Job(
            key=f"demo-{seed}-ticket-{number}", site=site, unit=unit, part_no=part_no, failure_mode=failure_mode,
            symptom_code=symptom, customer=_name(rng), phone=f"13{rng.randint(100000000, 999999999)}",
            address=f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
            priority=rng.choices(PRIORITIES, (1, 3, 5, 1))[0],
            service_type=rng.choices(("onsite", "depot", "mail_in"), (7, 2, 1))[0],
            labour_minutes=rng.choice((30, 45, 60, 75, 90, 120)),
            outcome=rng.choices(("repaired", "replaced"), (4, 1))[0]))
    return org


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"


def _unit(rng: random.Random, site: Site, number: int, today: date, months: int, tag: str) -> Unit:
    category = rng.choice(site.categories)
    model = rng.choice(CATALOGUE[category][0])
    # Bought up to `months` months back: a spread of ages, some out of warranty, for the reliability fits.
    purchased = today - timedelta(days=rng.randint(20, months * 30))
    return Unit(serial=f"SN-{site.code}-{number:03d}", model=model, category=category, purchase_date=purchased,
                batch=f"B{purchased:%Y%m}-{tag}")


def ticket_body(job: Job) -> dict:
    return {
        "channel": "hotline", "service_type": job.service_type, "priority": job.priority,
        "site": job.site.code, "region": job.site.region,
        "customer": {"name": job.customer, "phone": job.phone, "address": job.address},
        "product": {"model": job.unit.model, "serial": job.unit.serial, "category": job.unit.category,
                    "purchase_date": job.unit.purchase_date.isoformat(), "batch": job.unit.batch},
        "fault": {"symptom_code": job.symptom_code, "description": f"{job.failure_mode.replace('_', ' ')} reported",
                  "first_open_failure": False},
        "parts": [{"part_no": job.part_no, "qty": 1}],
    }


def completion_body(job: Job) -> dict:
    return {
        "outcome": job.outcome, "labour_minutes": job.labour_minutes,
        "parts_used": [{"part_no": job.part_no, "qty": 1, "faulty_serial": f"F-{job.unit.serial}"}],
        "failure": {"symptom_code": job.symptom_code, "failure_mode": job.failure_mode,
                    "cause_code": f"C-{job.failure_mode[:8].upper()}", "failed_part_no": job.part_no,
                    "description": f"{job.failure_mode.replace('_', ' ')} on {job.part_no}"},
        "customer_signed": True,
    }


def installed_base_body(units: list[Unit]) -> list[dict]:
    return [{"serial": u.serial, "model": u.model, "category": u.category,
             "purchase_date": u.purchase_date.isoformat(), "batch": u.batch} for u in units]
