"""Static checks of deploy/: compose file, Dockerfile, postgres init, RabbitMQ definitions."""
from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")
WEB_PORTS = {"intake": 8001, "dispatch": 8002, "inventory": 8003, "billing": 8004, "fracas": 8005}
ROLES = ("migrate", "web", "consumer", "relay")
EVENTS, DLX = "aftersales.events", "aftersales.dlx"
RETRY_TTLS = {1: 1000, 2: 5000, 3: 30000}
BINDINGS = {
    "intake": {"PartReserved.#", "PartReservationFailed.#", "EngineerAssigned.#",
               "RepairCompleted.#", "SettlementPosted.#"},
    "dispatch": {"TicketCreated.#", "PartReserved.#", "PartReservationFailed.#"},
    "inventory": {"TicketCreated.#", "RepairCompleted.#"},
    "billing": {"RepairCompleted.#"},
    "fracas": {"TicketCreated.#", "RepairCompleted.#", "SettlementPosted.#"},
}
PUBLISHERS = {"intake", "dispatch", "inventory", "billing"}


def queues_of(svc: str) -> list[str]:
    return [f"{svc}.events", *(f"{svc}.events.retry.{n}" for n in RETRY_TTLS), f"{svc}.events.dlq"]


def env_default(value: str, var: str) -> str:
    """The dev default of ${var:-default} inside a compose value."""
    m = re.search(r"\$\{" + re.escape(var) + r":-([^}]*)\}", value)
    assert m, f"{var} with a default not found in {value!r}"
    return m.group(1)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def definitions() -> dict:
    return json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())


# --------------------------------------------------------------- Dockerfile --

def test_dockerfile_is_parameterised_multistage_and_non_root():
    text = (DEPLOY / "Dockerfile").read_text()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert any(re.fullmatch(r"ARG SERVICE(=.*)?", ln) for ln in lines)
    froms = [ln for ln in lines if ln.upper().startswith("FROM ")]
    assert len(froms) >= 2, "multi-stage build expected"
    assert "python:3.11-slim" in text
    assert "shared" in text and "services/${SERVICE}" in text
    assert not any("[testing]" in ln for ln in lines), "no dev/test extras in the image"
    user_lines = [ln for ln in lines if ln.upper().startswith("USER ")]
    assert user_lines and user_lines[-1].split()[1] not in {"root", "0"}
    assert "PYTHONUNBUFFERED=1" in text


# ------------------------------------------------------------------ compose --

@pytest.mark.parametrize("svc", SERVICES)
@pytest.mark.parametrize("role", ROLES)
def test_container_has_image_build_env(services, svc, role):
    c = services[f"{svc}-{role}"]
    assert c["image"] == f"aftersales/{svc}:latest"
    assert c["build"]["context"] == ".."
    assert c["build"]["dockerfile"] == "deploy/Dockerfile"
    assert c["build"]["args"]["SERVICE"] == svc
    env = c["environment"]
    assert isinstance(env, dict)
    assert re.fullmatch(
        rf"postgresql\+psycopg2://{svc}:\$\{{{svc.upper()}_DB_PASSWORD:-[^}}]+\}}@postgres:5432/{svc}",
        env["DATABASE_URL"])
    assert re.fullmatch(
        rf"amqp://{svc}:\$\{{{svc.upper()}_AMQP_PASSWORD:-[^}}]+\}}@rabbitmq:5672/%2F", env["AMQP_URL"])
    assert "LOG_LEVEL" in env
    assert "restart" in c


@pytest.mark.parametrize("svc", SERVICES)
def test_commands(services, svc):
    assert services[f"{svc}-migrate"]["command"] == ["python", "-m", svc, "migrate"]
    assert services[f"{svc}-consumer"]["command"] == ["python", "-m", svc, "consumer"]
    assert services[f"{svc}-relay"]["command"] == ["python", "-m", svc, "relay"]
    assert services[f"{svc}-web"]["command"] == [
        "gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-",
        f"{svc}.entrypoints.flask_app:create_app()"]


@pytest.mark.parametrize("svc", SERVICES)
def test_healthchecks(services, svc):
    assert "healthcheck" not in services[f"{svc}-migrate"]
    web = services[f"{svc}-web"]["healthcheck"]["test"]
    assert web[0] == "CMD" and "urllib" in " ".join(web) and "http://localhost:8000/readyz" in " ".join(web)
    for proc in ("consumer", "relay"):
        assert services[f"{svc}-{proc}"]["healthcheck"]["test"] == ["CMD", "python", "-m", svc, "alive", proc]


@pytest.mark.parametrize("svc", SERVICES)
def test_depends_on_conditions(services, svc):
    assert services[f"{svc}-migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    expected = {
        "postgres": {"condition": "service_healthy"},
        "rabbitmq": {"condition": "service_healthy"},
        f"{svc}-migrate": {"condition": "service_completed_successfully"},
    }
    for role in ("web", "consumer", "relay"):
        assert services[f"{svc}-{role}"]["depends_on"] == expected


@pytest.mark.parametrize("svc", SERVICES)
def test_web_port_and_prometheus_dir(services, svc):
    web = services[f"{svc}-web"]
    assert web["ports"] == [f"{WEB_PORTS[svc]}:8000"]
    assert web["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prom"
    for role in ("migrate", "consumer", "relay"):
        assert "ports" not in services[f"{svc}-{role}"]


def test_only_expected_app_containers(services):
    expected = {f"{s}-{r}" for s in SERVICES for r in ROLES} | {"rabbitmq", "postgres"}
    assert set(services) == expected


def test_infrastructure(services):
    rmq = services["rabbitmq"]
    assert rmq["image"] == "rabbitmq:3.13-management"
    assert rmq["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]
    mounts = " ".join(rmq["volumes"])
    assert "./rabbitmq/rabbitmq.conf:/etc/rabbitmq/rabbitmq.conf" in mounts
    assert "./rabbitmq/definitions.json:/etc/rabbitmq/definitions.json" in mounts
    conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    assert re.search(r"^load_definitions\s*=\s*/etc/rabbitmq/definitions.json\s*$", conf, re.M)

    pg = services["postgres"]
    assert pg["image"] == "postgres:16"
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert any("/docker-entrypoint-initdb.d/" in v and "./postgres/init." in v for v in pg["volumes"])
    for mount in pg["volumes"] + rmq["volumes"]:
        src = mount.split(":")[0]
        if src.startswith("./"):
            assert (DEPLOY / src).is_file(), src


# ------------------------------------------------------------ postgres init --

def test_postgres_init_creates_role_and_db_per_service(services):
    init = DEPLOY / "postgres" / "init.sh"
    text = init.read_text()
    body = text.split("create_service_db()", 1)[1]
    assert "CREATE ROLE" in body and "LOGIN" in body
    assert re.search(r"CREATE DATABASE :\"svc\" OWNER :\"svc\"", body)
    assert "REVOKE ALL ON DATABASE" in body
    pg_env = services["postgres"]["environment"]
    for svc in SERVICES:
        var = f"{svc.upper()}_DB_PASSWORD"
        m = re.search(rf"^create_service_db\s+{svc}\s+\"\$\{{{var}:-([^}}]+)\}}\"\s*$", text, re.M)
        assert m, f"no role/db for {svc}"
        # same dev default in init.sh, the postgres container env and the service URLs
        assert env_default(pg_env[var], var) == m.group(1)
        assert env_default(services[f"{svc}-web"]["environment"]["DATABASE_URL"], var) == m.group(1)


# ------------------------------------------------------- rabbitmq definitions --

def _perm(definitions, user):
    [p] = [p for p in definitions["permissions"] if p["user"] == user and p["vhost"] == "/"]
    return p


def _check_hash(password: str, password_hash: str) -> bool:
    raw = base64.b64decode(password_hash)
    salt = raw[:4]
    return len(raw) == 36 and raw[4:] == hashlib.sha256(salt + password.encode()).digest()


def test_users_and_password_hashes(definitions, services):
    users = {u["name"]: u for u in definitions["users"]}
    assert set(users) == set(SERVICES) | {"admin"}
    assert "administrator" in users["admin"]["tags"]
    for u in users.values():
        assert u["hashing_algorithm"] == "rabbit_password_hashing_sha256"
        assert "password" not in u
    for svc in SERVICES:
        assert users[svc]["tags"] in ([], "")
        default = env_default(services[f"{svc}-web"]["environment"]["AMQP_URL"], f"{svc.upper()}_AMQP_PASSWORD")
        assert _check_hash(default, users[svc]["password_hash"]), svc
    assert _check_hash("admin-dev", users["admin"]["password_hash"])
    assert {v["name"] for v in definitions["vhosts"]} == {"/"}


@pytest.mark.parametrize("svc", SERVICES)
def test_permissions_are_least_privilege(definitions, svc):
    p = _perm(definitions, svc)
    # RabbitMQ matches permission regexes unanchored, so re.search it is.
    allows = {kind: (lambda name, rx=p[kind]: re.search(rx, name) is not None)
              for kind in ("configure", "write", "read")}
    own = queues_of(svc)
    others = [q for o in SERVICES if o != svc for q in queues_of(o)]
    for kind, ok in allows.items():
        assert all(ok(q) for q in own), (kind, svc)
        assert not any(ok(q) for q in others), (kind, svc, [q for q in others if ok(q)])
        for junk in ("sneaky", f"{svc}.events.retry.4", f"x{svc}.events", f"{svc}.events.dlqx", "amq.gen-abc"):
            assert not ok(junk), (kind, junk)
    assert allows["configure"](EVENTS) and allows["configure"](DLX)
    assert allows["write"](DLX) and allows["write"]("amq.default")
    assert allows["write"](EVENTS) == (svc in PUBLISHERS)
    assert allows["read"](EVENTS)
    assert not allows["configure"]("amq.default")


def test_admin_has_full_permissions(definitions):
    p = _perm(definitions, "admin")
    assert (p["configure"], p["write"], p["read"]) == (".*", ".*", ".*")


def test_exchanges(definitions):
    ex = {e["name"]: e for e in definitions["exchanges"]}
    assert ex[EVENTS]["type"] == "topic" and ex[EVENTS]["durable"]
    assert ex[DLX]["type"] == "direct" and ex[DLX]["durable"]
    assert all(e["vhost"] == "/" for e in ex.values())


@pytest.mark.parametrize("svc", SERVICES)
def test_queues_and_arguments(definitions, svc):
    qs = {q["name"]: q for q in definitions["queues"]}
    for name in queues_of(svc):
        assert qs[name]["durable"] is True and qs[name]["auto_delete"] is False and qs[name]["vhost"] == "/"
    assert qs[f"{svc}.events"]["arguments"] == {
        "x-dead-letter-exchange": DLX, "x-dead-letter-routing-key": f"{svc}.events.dlq"}
    for n, ttl in RETRY_TTLS.items():
        assert qs[f"{svc}.events.retry.{n}"]["arguments"] == {
            "x-message-ttl": ttl, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": f"{svc}.events"}
    assert qs[f"{svc}.events.dlq"]["arguments"] == {}


def test_no_unexpected_queues(definitions):
    assert {q["name"] for q in definitions["queues"]} == {q for s in SERVICES for q in queues_of(s)}


@pytest.mark.parametrize("svc", SERVICES)
def test_bindings(definitions, svc):
    b = definitions["bindings"]
    assert all(x["destination_type"] == "queue" and x["vhost"] == "/" for x in b)
    events = {x["routing_key"] for x in b if x["source"] == EVENTS and x["destination"] == f"{svc}.events"}
    assert events == BINDINGS[svc]
    dlx = [x for x in b if x["source"] == DLX and x["destination"] == f"{svc}.events.dlq"]
    assert [x["routing_key"] for x in dlx] == [f"{svc}.events.dlq"]
    # nothing else bound to this service's retry/dlq queues
    assert not [x for x in b if x["destination"].startswith(f"{svc}.events.retry.")]


def test_no_extra_bindings(definitions):
    expected = {(EVENTS, f"{s}.events", k) for s in SERVICES for k in BINDINGS[s]}
    expected |= {(DLX, f"{s}.events.dlq", f"{s}.events.dlq") for s in SERVICES}
    got = [(x["source"], x["destination"], x["routing_key"]) for x in definitions["bindings"]]
    assert len(got) == len(set(got)) and set(got) == expected


def test_definitions_match_generator(definitions, monkeypatch):
    """definitions.json is what generate_definitions.py produces (hashes aside)."""
    import importlib.util

    for var in [f"{s.upper()}_AMQP_PASSWORD" for s in SERVICES] + ["RABBITMQ_ADMIN_PASSWORD"]:
        monkeypatch.delenv(var, raising=False)

    spec = importlib.util.spec_from_file_location("gen_defs", DEPLOY / "rabbitmq" / "generate_definitions.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.build(definitions) == definitions
