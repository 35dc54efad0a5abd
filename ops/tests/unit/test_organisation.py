"""The demo organisation is realistic, complete and the same for the same seed."""
from datetime import date

from aftersales_ops.demo import organisation
from aftersales_ops.demo.organisation import build, completion_body, ticket_body

TODAY = date(2026, 11, 29)


def test_same_seed_same_organisation_other_seed_other_ids():
    first, again, other = build(7, today=TODAY), build(7, today=TODAY), build(8, today=TODAY)
    assert first == again
    assert {s.code for s in first.sites}.isdisjoint({s.code for s in other.sites})
    assert [j.key for j in first.jobs] != [j.key for j in other.jobs]


def test_several_regions_and_more_than_fifty_service_points():
    org = build(1, today=TODAY)
    assert len(org.regions) == 5
    assert len(org.sites) >= 50
    assert len({s.code for s in org.sites}) == len(org.sites)
    assert all(len(site.code) <= 32 for site in org.sites)
    assert len(org.dealers) == len(org.regions) and all(d["sites"] for d in org.dealers)


def test_every_job_has_an_engineer_with_its_skill_and_the_part_in_stock():
    org = build(3, tickets=300, today=TODAY)
    skills = {(e.site, skill) for e in org.engineers for skill in e.skills}
    stocked = {(r["site"], r["part_no"]) for r in org.receipts}
    for job in org.jobs:
        assert (job.site.code, job.unit.category) in skills
        assert (job.site.code, job.part_no) in stocked


def test_units_were_bought_over_past_months_never_in_the_future():
    org = build(1, months=18, today=TODAY)
    ages = [(TODAY - unit.purchase_date).days for unit in org.installed_base]
    assert min(ages) >= 20 and max(ages) <= 18 * 30
    assert max(ages) - min(ages) > 300


def test_the_request_bodies_speak_the_contract():
    job = build(1, today=TODAY).jobs[0]
    ticket = ticket_body(job)
    assert ticket["site"] == job.site.code and ticket["region"] == job.site.region
    assert ticket["parts"] == [{"part_no": job.part_no, "qty": 1}]
    done = completion_body(job)
    assert done["failure"]["failed_part_no"] == job.part_no
    assert done["outcome"] in ("repaired", "replaced")
    assert set(organisation.PART_COSTS) >= {p for _, (_, parts) in organisation.CATALOGUE.items() for p, _, _ in parts}


def test_sites_can_stock_fewer_parts_and_tickets_still_find_theirs():
    full, lean = build(4, today=TODAY), build(4, parts_per_category=1, today=TODAY)
    assert len(lean.receipts) < len(full.receipts) / 2
    stocked = {(r["site"], r["part_no"]) for r in lean.receipts}
    assert all((job.site.code, job.part_no) in stocked for job in lean.jobs)
