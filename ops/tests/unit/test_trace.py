"""The trace joins every service's trail into one causal timeline."""
from aftersales_ops import trace

T0 = "2026-11-20T10:00:00+00:00"


def emitted(event_id, type_, source, at, cause=None):
    return {"event_id": event_id, "type": type_, "source": source, "causation_id": cause, "occurred_at": at,
            "routing_key": f"{type_}.east.SH-01", "published_at": at}


def consumed(event_id, type_, source, at, received, cause=None):
    return {"event_id": event_id, "type": type_, "source": source, "causation_id": cause, "occurred_at": at,
            "received_at": received}


def trails():
    # inventory's clock runs two minutes behind: its PartReserved claims to precede the ticket that caused it.
    return [
        {"service": "intake", "emitted": [emitted("e1", "TicketCreated", "intake", "2026-11-20T10:00:00+00:00")],
         "consumed": [consumed("e2", "PartReserved", "inventory", "2026-11-20T09:58:01+00:00",
                               "2026-11-20T10:00:02+00:00", cause="e1")]},
        {"service": "inventory",
         "emitted": [emitted("e2", "PartReserved", "inventory", "2026-11-20T09:58:01+00:00", cause="e1")],
         "consumed": [consumed("e1", "TicketCreated", "intake", T0, "2026-11-20T09:58:00+00:00")]},
        {"service": "dispatch",
         "emitted": [emitted("e3", "RepairCompleted", "dispatch", "2026-11-20T11:00:00+00:00", cause="e1")],
         "consumed": [consumed("e1", "TicketCreated", "intake", T0, "2026-11-20T10:00:01+00:00")]},
        {"service": "billing",
         "emitted": [emitted("e4", "SettlementPosted", "billing", "2026-11-20T11:00:01+00:00", cause="e3")],
         "consumed": [consumed("e3", "RepairCompleted", "dispatch", "2026-11-20T11:00:00+00:00",
                               "2026-11-20T11:00:01+00:00", cause="e1")]},
        {"service": "fracas", "emitted": [], "consumed": [
            consumed("e3", "RepairCompleted", "dispatch", "2026-11-20T11:00:00+00:00", "2026-11-20T11:00:02+00:00",
                     cause="e1")]},
    ]


def test_each_event_appears_once_with_its_emitter_and_every_consumer():
    events = trace.merge_trails(trails())
    assert [e["event_id"] for e in events] == ["e1", "e2", "e3", "e4"]
    by_id = {e["event_id"]: e for e in events}
    assert by_id["e1"]["emitted_by"] == "intake"
    assert set(by_id["e1"]["consumed_by"]) == {"inventory", "dispatch"}
    assert set(by_id["e3"]["consumed_by"]) == {"billing", "fracas"}
    assert by_id["e4"]["caused_by"] == "RepairCompleted"


def test_a_cause_comes_first_even_when_a_clock_says_otherwise():
    events = trace.merge_trails(trails())
    position = {e["event_id"]: e["position"] for e in events}
    assert position["e1"] < position["e2"]  # inventory's timestamp is earlier than the ticket's
    for event in events:
        if event["causation_id"] in position:
            assert position[event["causation_id"]] < event["position"]


def test_an_event_known_only_from_its_consumers_is_still_shown():
    only_consumed = [t for t in trails() if t["service"] != "billing"]
    only_consumed.append({"service": "billing", "emitted": [], "consumed": []})
    only_consumed[0]["consumed"].append(consumed("e9", "SettlementPosted", "billing", "2026-11-20T11:00:05+00:00",
                                                 "2026-11-20T11:00:06+00:00", cause="e3"))
    events = trace.merge_trails(only_consumed)
    e9 = next(e for e in events if e["event_id"] == "e9")
    assert e9["emitted_by"] is None and e9["source"] == "billing" and e9["caused_by"] == "RepairCompleted"


def test_the_rendered_timeline_names_time_source_type_and_cause():
    found = trace.story("T-1", trails(), {"id": "T-1", "status": "settled", "created_at": T0},
                        {"work_orders": [{"id": "WO-1", "status": "completed", "dispatched_at": "2026-11-20T10:00:01Z",
                                          "completed_at": "2026-11-20T11:00:00Z"}],
                         "settlements": [{"settlement_id": "S-1", "totals": {"customer": "0.00"}}],
                         "failures": [{"work_order_id": "WO-1", "failure_mode": "open_circuit"}]})
    text = trace.render(found)
    lines = text.splitlines()
    assert lines[0] == "ticket T-1: settled"
    settlement_line = next(line for line in lines if "SettlementPosted" in line)
    assert "billing" in settlement_line and "RepairCompleted #3" in settlement_line
    assert [c["change"] for c in found["state_changes"]] == ["created", "dispatched", "completed"]
    assert "failure record: open_circuit" in text and "work order WO-1: completed" in text


def test_a_forged_causation_cycle_does_not_lose_events():
    events = [{"event_id": "a", "type": "X", "occurred_at": T0, "causation_id": "b"},
              {"event_id": "b", "type": "Y", "occurred_at": T0, "causation_id": "a"}]
    assert {e["event_id"] for e in trace.causal_order(events)} == {"a", "b"}
