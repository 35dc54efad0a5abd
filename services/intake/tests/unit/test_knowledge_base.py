"""The knowledge base: search by symptom code or free text, resolve by phone with an article, drafts from repairs."""
from samples import report, ticket_body

ARTICLE = {"title": "No picture after power cut", "symptom_code": "NO_PICTURE",
           "symptoms": "Screen stays black, sound works, after a power cut",
           "steps": ["Unplug for 60 s", "Hold the power key 10 s"], "likely_parts": ["PSU-55"]}


def test_articles_are_found_by_symptom_code_or_words(client):
    assert client.put("/api/v1/kb/articles/KB-1", json=ARTICLE).status_code == 201
    other = {**ARTICLE, "title": "Remote does not pair", "symptom_code": "REMOTE", "symptoms": "Remote ignored"}
    assert client.put("/api/v1/kb/articles/KB-2", json=other).status_code == 201
    assert client.put("/api/v1/kb/articles/KB-2", json=other).status_code == 200

    by_code = client.get("/api/v1/kb/articles", query_string={"symptom_code": "NO_PICTURE"}).json
    assert [a["id"] for a in by_code] == ["KB-1"]
    by_words = client.get("/api/v1/kb/articles", query_string={"q": "black screen"}).json
    assert [a["id"] for a in by_words] == ["KB-1"]
    assert client.get("/api/v1/kb/articles", query_string={"q": "pair"}).json[0]["id"] == "KB-2"
    assert client.get("/api/v1/kb/articles", query_string={"q": "washing"}).json == []
    assert client.get("/api/v1/kb/articles/KB-1").json["steps"] == ARTICLE["steps"]


def test_resolving_by_phone_records_the_article(client):
    client.put("/api/v1/kb/articles/KB-1", json=ARTICLE)
    ticket = client.post("/api/v1/tickets", json={**ticket_body(), "diagnose_first": True}).json
    missing = client.post(f"/api/v1/tickets/{ticket['id']}/resolve-by-phone", json={"article_id": "KB-404"})
    assert missing.status_code == 422 and "article_id" in missing.json["errors"]
    done = client.post(f"/api/v1/tickets/{ticket['id']}/resolve-by-phone", json={"article_id": "KB-1"}).json
    assert (done["state"], done["kb_article_id"]) == ("closed", "KB-1")


def test_a_draft_from_a_completed_repair(client, intake):
    ticket = client.post("/api/v1/tickets", json=ticket_body()).json
    early = client.post(f"/api/v1/tickets/{ticket['id']}/kb-draft")
    assert early.status_code == 409
    intake.runtime.bus.handle(report("RepairCompleted", ticket["id"]))

    draft = client.post(f"/api/v1/tickets/{ticket['id']}/kb-draft")
    assert draft.status_code == 201, draft.json
    assert (draft.json["status"], draft.json["symptom_code"], draft.json["likely_parts"]) == (
        "draft", "NO_PICTURE", ["PSU-55"])
    assert draft.json["source_ticket_id"] == ticket["id"]
    again = client.post(f"/api/v1/tickets/{ticket['id']}/kb-draft")
    assert (again.status_code, again.json["id"]) == (200, draft.json["id"])
    assert client.get("/api/v1/kb/articles", query_string={"status": "draft"}).json[0]["id"] == draft.json["id"]
