"""Static checks of deploy/: compose files, Dockerfile, postgres init, RabbitMQ definitions and start script."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")
WEB_PORTS = {"intake": 8001, "dispatch": 8002, "inventory": 8003, "billing": 8004, "fracas": 8005}
ROLES = ("migrate", "web", "consumer", "relay")
INFRA = ("postgres", "rabbitmq")
EVENTS, DLX, UNROUTABLE = "aftersales.events", "aftersales.dlx", "aftersales.unroutable"
RETRY_TTLS = {1: 1000, 2: 5000, 3: 30000}
BINDINGS = {
    "intake": {"PartReserved.#", "PartReservationFailed.#", "EngineerAssigned.#",
               "RepairCompleted.#", "SettlementPosted.#", "SlaBreached.#"},
    "dispatch": {"TicketCreated.#", "PartReserved.#", "PartReservationFailed.#", "QuoteAccepted.#",
                 "TicketCancelled.#"},
    "inventory": {"TicketCreated.#", "RepairCompleted.#", "QuoteAccepted.#", "TicketCancelled.#",
                  "TicketClosed.#"},
    "billing": {"RepairCompleted.#", "PartPriceChanged.#", "CallbackCompleted.#", "SlaBreached.#"},
    "fracas": {"TicketCreated.#", "RepairCompleted.#", "SettlementPosted.#"},
}
SECRETS = {"POSTGRES_PASSWORD", "RABBITMQ_ADMIN_PASSWORD", "PARTNER_SECRETS_KEY"} | {
    f"{svc.upper()}_{kind}_PASSWORD" for svc in SERVICES for kind in ("DB", "AMQP")}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|COOKIE|_KEY\b")
REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}")


def required(name: str) -> str:
    """Regex of the only allowed form of a secret: ${NAME:?NAME must be set...}, an error when missing."""
    return rf"\$\{{{name}:\?{name} must be set[^}}]*\}}"


def queues_of(svc: str) -> list[str]:
    return [f"{svc}.events", *(f"{svc}.events.retry.{n}" for n in RETRY_TTLS), f"{svc}.events.dlq"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def ports_override() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.ports.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def definitions() -> dict:
    return json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())


def strings_in(node):
    """Every string anywhere in a parsed YAML document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings_in(key)
            yield from strings_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings_in(item)


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

def test_every_container_is_complete(services):
    """Image, environment, healthcheck and start order everywhere; the exceptions say why."""
    for name, c in services.items():
        assert c.get("image"), name
        assert isinstance(c.get("environment"), dict) and c["environment"], name
        if name.endswith("-migrate"):
            # a one-shot job: its dependants wait for it to exit 0, there is nothing to probe
            assert "healthcheck" not in c and c["restart"] == "no", name
        else:
            assert c["healthcheck"]["test"], name
        if name not in INFRA:
            assert c.get("depends_on"), name


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
    # postgresql:// as users write it; the shared engine picks the driver.
    assert re.fullmatch(rf"postgresql://{svc}:{required(f'{svc.upper()}_DB_PASSWORD')}@postgres:5432/{svc}",
                        env["DATABASE_URL"]), env["DATABASE_URL"]
    assert re.fullmatch(rf"amqp://{svc}:{required(f'{svc.upper()}_AMQP_PASSWORD')}@rabbitmq:5672/%2F",
                        env["AMQP_URL"]), env["AMQP_URL"]
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
    expected = {f"{s}-{r}" for s in SERVICES for r in ROLES} | set(INFRA)
    assert set(services) == expected


def test_infrastructure(services):
    rmq = services["rabbitmq"]
    assert rmq["image"] == "rabbitmq:3.13-management"
    assert rmq["command"] == ["sh", "/opt/aftersales/start.sh"]
    assert rmq["init"] is True, "something must reap start.sh's background job"
    probe = " ".join(rmq["healthcheck"]["test"])
    assert "rabbitmq-diagnostics -q ping" in probe
    assert "test -f /tmp/aftersales-users-ready" in probe, "healthy only once the users have passwords"
    mounts = " ".join(rmq["volumes"])
    assert "./rabbitmq/rabbitmq.conf:/etc/rabbitmq/rabbitmq.conf" in mounts
    assert "./rabbitmq/definitions.json:/etc/rabbitmq/definitions.json" in mounts
    assert "./rabbitmq/start.sh:/opt/aftersales/start.sh" in mounts
    conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    assert re.search(r"^load_definitions\s*=\s*/etc/rabbitmq/definitions.json\s*$", conf, re.M)
    assert not re.search(r"^\s*default_(user|pass)", conf, re.M)

    pg = services["postgres"]
    assert pg["image"] == "postgres:16"
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert any("/docker-entrypoint-initdb.d/" in v and "./postgres/init." in v for v in pg["volumes"])
    for mount in pg["volumes"] + rmq["volumes"]:
        src = mount.split(":")[0]
        if src.startswith("./"):
            assert (DEPLOY / src).is_file(), src


# --------------------------------------------------------- ports and secrets --

@pytest.mark.parametrize("name", INFRA)
def test_database_and_broker_publish_no_port_by_default(services, name):
    assert "ports" not in services[name]


def test_publishing_them_is_an_opt_in_override_on_loopback(ports_override):
    assert set(ports_override) == {"services"}
    assert set(ports_override["services"]) == set(INFRA)
    published = {}
    for name, overrides in ports_override["services"].items():
        assert set(overrides) == {"ports"}, name
        for mapping in overrides["ports"]:
            m = re.fullmatch(r"(?P<ip>[^:]+):(?:\$\{[A-Z_]+:-\d+\}|\d+):(?P<port>\d+)", mapping)
            assert m and m["ip"] == "127.0.0.1", f"{name}: {mapping} would be reachable from other machines"
            published.setdefault(name, set()).add(m["port"])
    assert published == {"postgres": {"5432"}, "rabbitmq": {"5672", "15672"}}
    readme = (DEPLOY / "README.md").read_text()
    assert "-f deploy/docker-compose.ports.yml" in readme


def test_every_secret_is_required_never_defaulted(compose, ports_override):
    referenced = set()
    for document in (compose, ports_override):
        for text in strings_in(document):
            for ref in REFERENCE.finditer(text):
                name = ref["name"]
                if SECRET_NAME.search(name):
                    referenced.add(name)
                    assert re.fullmatch(required(name), ref.group(0)), f"{ref.group(0)} must be ${{{name}:?...}}"
    assert referenced == SECRETS


def test_no_literal_password_in_any_environment(services):
    for name, c in services.items():
        for key, value in c["environment"].items():
            value = str(value)
            if SECRET_NAME.search(key):
                assert re.fullmatch(required(key), value), f"{name}.{key} is not a required reference"
            credentials = re.search(r"://[^:/@\s]+:(?P<password>[^@\s]*)@", value)
            if credentials:
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", credentials["password"]), f"{name}.{key}"


def test_no_deploy_file_defaults_a_secret():
    for path in DEPLOY.rglob("*"):
        if not path.is_file() or path.suffix in (".json",):
            continue
        for ref in REFERENCE.finditer(path.read_text()):
            if SECRET_NAME.search(ref["name"]):
                assert not ref["rest"].startswith((":-", "-", ":=", "=")), f"{path.name}: {ref.group(0)}"


def test_env_example_lists_every_secret_without_a_value(compose):
    values = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    assert SECRETS <= set(values)
    assert all(values[name] == "" for name in SECRETS), "an example must not carry a usable secret"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(DEPLOY / ".env")], cwd=ROOT).returncode
    assert ignored == 0, "deploy/.env (the real secrets) must be git-ignored"
    docker_ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "**/.env" in docker_ignored, "nor sent to the image builder"


# ------------------------------------------------------------ postgres init --

def test_postgres_init_creates_role_and_db_per_service(services):
    init = DEPLOY / "postgres" / "init.sh"
    text = init.read_text()
    body = text.split("create_service_db()", 1)[1]
    assert "CREATE ROLE" in body and "LOGIN" in body
    assert re.search(r"CREATE DATABASE :\"svc\" OWNER :\"svc\"", body)
    assert "REVOKE ALL ON DATABASE" in body
    pg_env = services["postgres"]["environment"]
    assert re.fullmatch(required("POSTGRES_PASSWORD"), pg_env["POSTGRES_PASSWORD"])
    for svc in SERVICES:
        var = f"{svc.upper()}_DB_PASSWORD"
        assert re.search(rf"^create_service_db\s+{svc}\s+\"{required(var)}\"\s*$", text, re.M), svc
        # the container gets the same variable the service's URL uses
        assert re.fullmatch(required(var), pg_env[var])


# ------------------------------------------------------- rabbitmq definitions --

def _perm(definitions, user):
    [p] = [p for p in definitions["permissions"] if p["user"] == user and p["vhost"] == "/"]
    return p


def test_users_carry_no_password_hash(definitions):
    users = {u["name"]: u for u in definitions["users"]}
    assert set(users) == set(SERVICES) | {"admin"}
    assert "administrator" in users["admin"]["tags"]
    for u in users.values():
        # an empty hash: nobody logs in as this user until start.sh has set a password
        assert u["password_hash"] == "", u["name"]
        assert "password" not in u
    for svc in SERVICES:
        assert users[svc]["tags"] in ([], "")
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
        for junk in ("sneaky", f"x{svc}.events", f"{svc}.events.dlqx", "amq.gen-abc"):
            assert not ok(junk), (kind, junk)
        assert ok(EVENTS) and ok(DLX) and ok(UNROUTABLE)
    assert allows["write"]("amq.default")
    assert not allows["configure"]("amq.default")


def test_admin_has_full_permissions(definitions):
    p = _perm(definitions, "admin")
    assert (p["configure"], p["write"], p["read"]) == (".*", ".*", ".*")


def test_the_event_exchange_sends_what_nothing_takes_to_the_unroutable_queue(definitions):
    ex = {e["name"]: e for e in definitions["exchanges"]}
    assert ex[EVENTS]["type"] == "topic" and ex[EVENTS]["arguments"] == {"alternate-exchange": UNROUTABLE}
    assert ex[UNROUTABLE]["type"] == "fanout"
    assert ex[DLX]["type"] == "direct"
    assert all(e["vhost"] == "/" and e["durable"] for e in ex.values())
    assert {"source": UNROUTABLE, "destination": UNROUTABLE} in [
        {"source": b["source"], "destination": b["destination"]} for b in definitions["bindings"]]


@pytest.mark.parametrize("svc", SERVICES)
def test_queues_are_quorum_with_a_delivery_limit_and_dead_lettering(definitions, svc):
    qs = {q["name"]: q for q in definitions["queues"]}
    for name in queues_of(svc):
        assert qs[name]["durable"] is True and qs[name]["auto_delete"] is False and qs[name]["vhost"] == "/"
        assert qs[name]["arguments"]["x-queue-type"] == "quorum"
    main = qs[f"{svc}.events"]["arguments"]
    assert main["x-delivery-limit"] >= 1
    assert (main["x-dead-letter-exchange"], main["x-dead-letter-routing-key"]) == (DLX, f"{svc}.events.dlq")
    assert main["x-dead-letter-strategy"] == "at-least-once"
    for n, ttl in RETRY_TTLS.items():
        retry = qs[f"{svc}.events.retry.{n}"]["arguments"]
        assert (retry["x-message-ttl"], retry["x-dead-letter-exchange"], retry["x-dead-letter-routing-key"]) == (
            ttl, "", f"{svc}.events")


def test_no_unexpected_queues(definitions):
    expected = {q for s in SERVICES for q in queues_of(s)} | {UNROUTABLE}
    assert {q["name"] for q in definitions["queues"]} == expected


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


def test_definitions_match_generator(definitions):
    """definitions.json is exactly what the services declare at start-up (generate_definitions.py builds it
    from their own composition roots), whatever the environment."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_defs", DEPLOY / "rabbitmq" / "generate_definitions.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.build() == definitions


# ------------------------------------------------------- rabbitmq start.sh --

STUB_CTL = """#!/bin/sh
if [ "$2" = change_password ]; then
  printf 'change_password %s stdin=%s\\n' "$3" "$(cat)" >> "$CALLS"
else
  printf '%s\\n' "$*" >> "$CALLS"
fi
"""
# Stands in for the image's entrypoint: returns once start.sh's background job is done, so the test can
# look at everything it did.
STUB_ENTRYPOINT = """#!/bin/sh
i=0
while [ ! -f "$READY_FILE" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
printf 'entrypoint %s\\n' "$*" >> "$CALLS"
"""


@pytest.fixture
def start_sh(tmp_path):
    """Runs rabbitmq/start.sh with rabbitmqctl and the image's entrypoint replaced by recorders."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("rabbitmqctl", STUB_CTL), ("docker-entrypoint.sh", STUB_ENTRYPOINT)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    calls, ready = tmp_path / "calls", tmp_path / "ready"
    passwords = {name: f"pw-{name.lower()}-{i}" for i, name in enumerate(sorted(SECRETS)) if "AMQP" in name or
                 name == "RABBITMQ_ADMIN_PASSWORD"}

    def run(**overrides):
        env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls), "READY_FILE": str(ready),
               **passwords}
        env.update(overrides)
        env = {k: v for k, v in env.items() if v is not None}
        result = subprocess.run(["sh", str(DEPLOY / "rabbitmq" / "start.sh")], env=env, capture_output=True,
                                text=True, timeout=60)
        result.calls = calls.read_text().splitlines() if calls.exists() else []
        result.ready = ready.exists()
        return result

    run.passwords = passwords
    return run


def test_start_sh_gives_every_user_its_password_on_stdin_then_runs_the_broker(start_sh, definitions):
    result = start_sh()
    assert result.returncode == 0, result.stderr
    assert result.ready
    users = [u["name"] for u in definitions["users"]]
    for user in users:
        var = "RABBITMQ_ADMIN_PASSWORD" if user == "admin" else f"{user.upper()}_AMQP_PASSWORD"
        assert f"change_password {user} stdin={start_sh.passwords[var]}" in result.calls, result.calls
    assert "-q delete_user guest" in result.calls
    assert result.calls[-1] == "entrypoint rabbitmq-server"
    for call in result.calls:
        if not call.startswith("change_password"):
            assert not any(pw in call for pw in start_sh.passwords.values()), f"a password on a command line: {call}"


def test_start_sh_refuses_to_start_without_a_password(start_sh):
    result = start_sh(FRACAS_AMQP_PASSWORD="")
    assert result.returncode != 0
    assert "FRACAS_AMQP_PASSWORD must be set" in result.stderr
    assert not any(call.startswith("entrypoint") for call in result.calls), "the broker must not start"
    assert not result.ready
