"""Static checks of deploy/k8s: no cluster needed.

Every manifest parses, the generated ones are what generate.py writes now, every overlay renders (with the
small renderer beside this file, and the same as kubectl's where kubectl is installed), core resources
validate against the Kubernetes schemas, every container is probed, bounded and unprivileged, the broker
resources are exactly what the services declare with the environment their pods get, the KEDA triggers
name queues that exist, and no database is promised more connections than it has.
"""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import kubernetes_validate
import pytest
import yaml

from k8s_render import KustomizeError, render

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("small", "large")
SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")
KUBERNETES_VERSION = "1.30.0"
CORE_GROUPS = {"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2"}
# Connections a PostgreSQL keeps for the operator's instance manager, monitoring and an administrator.
HEADROOM = 10


def _generator():
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


generate = _generator()


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request):
    return request.param, render(K8S / "overlays" / request.param)


def of_kind(resources, kind):
    return [r for r in resources if r["kind"] == kind]


def named(resources, kind, name):
    [resource] = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    return resource


def pod_spec(resource):
    return resource["spec"]["template"]["spec"]


def all_containers(resource):
    spec = pod_spec(resource)
    return spec.get("initContainers", []) + spec["containers"]


def workloads(resources):
    return [r for r in resources if r["kind"] in ("Deployment", "Job")]


FERNET_KEY = "A" * 43 + "="


def environment(resources, container) -> dict[str, str]:
    """What the process sees: its ConfigMaps, then its own env, $(VAR) expanded as the kubelet does."""
    env = {}
    for source in container.get("envFrom", []):
        env.update(named(resources, "ConfigMap", source["configMapRef"]["name"])["data"])
    for item in container.get("env", []):
        if "valueFrom" in item:
            # A Secret's value; the partner-secrets key must have the form of a Fernet key.
            env[item["name"]] = FERNET_KEY if item["name"] == "PARTNER_SECRETS_KEY" else "s3cret"
        else:
            env[item["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m[1]], item["value"])
    return env


def service_of(resource) -> str:
    return resource["metadata"]["labels"]["app.kubernetes.io/name"]


def component_of(resource) -> str:
    return resource["metadata"]["labels"]["app.kubernetes.io/component"]


# ----------------------------------------------------------------------------- parsing and generating --

def test_every_manifest_parses():
    files = sorted(K8S.rglob("*.yaml"))
    assert len(files) >= 12
    for path in files:
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert documents, path
        for document in documents:
            assert isinstance(document, dict) and document.get("apiVersion") and document.get("kind"), path


def test_generated_manifests_are_what_the_generator_writes_now():
    """The broker resources come from the services' own composition roots; regenerate after a change."""
    built = generate.build()
    on_disk = {p for p in K8S.rglob("*.yaml") if "generated" in p.parts or p.name == "generated.yaml"}
    assert set(built) == on_disk
    for path, text in built.items():
        assert path.read_text() == text, f"{path.relative_to(ROOT)} is stale: run python deploy/k8s/generate.py"


def test_every_overlay_renders(overlay):
    name, resources = overlay
    kinds = Counter(r["kind"] for r in resources)
    for kind in ("Namespace", "RabbitmqCluster", "Exchange", "Queue", "Binding", "User", "Permission", "Deployment",
                 "Job", "Service", "HorizontalPodAutoscaler", "ScaledObject", "TriggerAuthentication",
                 "PodDisruptionBudget", "Cluster", "Pooler", "ConfigMap"):
        assert kinds[kind] >= 1, (name, kind)
    assert {r["metadata"].get("namespace") for r in resources if r["kind"] != "Namespace"} == {"aftersales"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed: no second renderer to compare")
@pytest.mark.parametrize("name", OVERLAYS)
def test_the_renderer_agrees_with_kubectl(name):
    result = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / name)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    theirs = sorted(json.dumps(d, sort_keys=True) for d in yaml.safe_load_all(result.stdout) if d)
    ours = sorted(json.dumps(d, sort_keys=True) for d in render(K8S / "overlays" / name))
    assert ours == theirs


def test_the_renderer_refuses_what_it_does_not_know(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\nnamePrefix: x-\n")
    with pytest.raises(KustomizeError, match="namePrefix"):
        render(tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        "resources: []\npatches:\n  - target: {kind: Deployment}\n    patch: '[{op: replace, path: /x, value: 1}]'\n")
    with pytest.raises(KustomizeError, match="matches nothing"):
        render(tmp_path)


# ----------------------------------------------------------------------------------------- validation --

def test_core_resources_validate_against_the_kubernetes_schemas(overlay):
    name, resources = overlay
    validated = Counter()
    for resource in resources:
        if resource["apiVersion"] in CORE_GROUPS:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
            validated[resource["kind"]] += 1
    assert {"Deployment", "Job", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap",
            "Namespace"} <= set(validated), validated


def test_an_invalid_resource_is_caught():
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
              "spec": {"replicas": "two", "selector": {}, "template": {"spec": {"containers": []}}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_operator_resources_have_what_their_operators_require(overlay):
    _, resources = overlay
    for resource in resources:
        spec = resource.get("spec", {})
        if resource["apiVersion"] == "rabbitmq.com/v1beta1" and resource["kind"] != "RabbitmqCluster":
            assert spec["rabbitmqClusterReference"] == {"name": "aftersales-rabbitmq"}, resource["metadata"]
        if resource["kind"] in ("Queue", "Exchange"):
            assert spec["name"] and spec["vhost"] == "/" and spec["durable"] is True and spec["autoDelete"] is False
        if resource["kind"] == "Binding":
            assert spec["destinationType"] == "queue" and "routingKey" in spec and spec["source"]
        if resource["kind"] == "Permission":
            assert spec["vhost"] == "/" and (spec.get("user") or spec.get("userReference"))
            named(resources, "User", spec["userReference"]["name"])
        if resource["kind"] == "Pooler":
            assert spec["type"] == "rw" and spec["pgbouncer"]["poolMode"] == "transaction"
            named(resources, "Cluster", spec["cluster"]["name"])
    cluster = of_kind(resources, "RabbitmqCluster")[0]
    assert cluster["spec"]["replicas"] == 3
    names = [(r["kind"], r["metadata"]["name"]) for r in resources]
    assert len(names) == len(set(names))
    for resource in resources:
        assert re.fullmatch(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?", resource["metadata"]["name"]), resource


# ------------------------------------------------------------------------------------------ containers --

def test_every_container_is_bounded_unprivileged_and_read_only(overlay):
    _, resources = overlay
    for resource in workloads(resources):
        pod = pod_spec(resource)
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in all_containers(resource):
            where = (resource["metadata"]["name"], container["name"])
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), where
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True and security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False and security["capabilities"] == {"drop": ["ALL"]}
            assert "/tmp" in {m["mountPath"] for m in container["volumeMounts"]}, where
            assert re.fullmatch(r"aftersales/[a-z]+:[0-9][\w.-]*", container["image"]), where
    for resource in of_kind(resources, "Cluster") + of_kind(resources, "RabbitmqCluster"):
        assert {"cpu", "memory"} <= set(resource["spec"]["resources"]["limits"]), resource["metadata"]["name"]
    for pooler in of_kind(resources, "Pooler"):
        [container] = pod_spec(pooler)["containers"]
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])


def test_every_long_running_container_is_probed(overlay):
    _, resources = overlay
    for deployment in of_kind(resources, "Deployment"):
        [container] = pod_spec(deployment)["containers"]
        role = component_of(deployment)
        paths = {probe: container[probe].get("httpGet", {}).get("path") for probe in
                 ("startupProbe", "readinessProbe", "livenessProbe")}
        assert paths["readinessProbe"] == "/readyz" and paths["startupProbe"] == "/healthz", deployment["metadata"]
        if role == "web":
            assert paths["livenessProbe"] == "/healthz"
            assert container["ports"] == [{"name": "http", "containerPort": 8000}]
        else:
            service = service_of(deployment)
            assert container["livenessProbe"]["exec"]["command"][:5] == ["python", "-m", service, "alive", role]
            assert environment(resources, container)["METRICS_PORT"] == "9100"
            assert container["ports"] == [{"name": "metrics", "containerPort": 9100}]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_web_consumer_and_relay_apart_and_migrates_in_a_job(overlay, service):
    _, resources = overlay
    mine = [r for r in workloads(resources) if service_of(r) == service]
    commands = {component_of(r): pod_spec(r)["containers"][0]["command"] for r in mine}
    assert commands["web"][0] == "gunicorn" and commands["web"][-1] == f"{service}.entrypoints.flask_app:create_app()"
    assert commands["consumer"] == ["python", "-m", service, "consumer"]
    assert commands["relay"] == ["python", "-m", service, "relay"]
    assert commands["migrate"] == ["python", "-m", service, "migrate"]
    job = named(resources, "Job", f"{service}-migrate")
    assert pod_spec(job)["restartPolicy"] == "Never"
    for deployment in of_kind(mine, "Deployment"):
        # a pod only checks the schema (and waits for the job); it never migrates at start
        [gate] = pod_spec(deployment)["initContainers"]
        assert gate["command"][:5] == ["python", "-m", service, "migrate", "--check"]


def test_every_deployment_has_a_disruption_budget_and_autoscaled_ones_leave_replicas_alone(overlay):
    _, resources = overlay
    budgets = of_kind(resources, "PodDisruptionBudget")
    scaled = {r["spec"]["scaleTargetRef"]["name"] for r in of_kind(resources, "HorizontalPodAutoscaler")}
    scaled |= {r["spec"]["scaleTargetRef"]["name"] for r in of_kind(resources, "ScaledObject")}
    for deployment in of_kind(resources, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(covering) == 1 and covering[0]["spec"]["maxUnavailable"] == 1, deployment["metadata"]["name"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        name = deployment["metadata"]["name"]
        assert (name in scaled) == ("replicas" not in deployment["spec"]), name
    for budget in budgets:
        selector = budget["spec"]["selector"]["matchLabels"]
        assert any(selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
                   for d in of_kind(resources, "Deployment")) or "cnpg.io/poolerName" in selector or \
            selector == {"app.kubernetes.io/name": "aftersales-rabbitmq"}, budget["metadata"]["name"]


def test_web_scales_on_cpu(overlay):
    _, resources = overlay
    for service in SERVICES:
        hpa = named(resources, "HorizontalPodAutoscaler", f"{service}-web")
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{service}-web"}
        [metric] = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu" and 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


# ------------------------------------------------------------------------------- secrets and settings --

def test_secrets_come_from_operator_made_secrets_never_from_the_manifests(overlay):
    _, resources = overlay
    assert not of_kind(resources, "Secret")
    users = {u["metadata"]["name"]: u["spec"]["importCredentialsSecret"]["name"] for u in of_kind(resources, "User")}
    for resource in workloads(resources):
        service = service_of(resource)
        for container in all_containers(resource):
            refs = {i["name"]: i["valueFrom"]["secretKeyRef"] for i in container["env"] if "valueFrom" in i}
            expected = {"PGPASSWORD": {"name": f"{service}-db-app", "key": "password"},
                        "AMQP_PASSWORD": {"name": users[service], "key": "password"}}
            if service == "intake":  # dealers' secrets are sealed with a key every intake pod shares
                expected["PARTNER_SECRETS_KEY"] = {"name": "intake-partner-secrets", "key": "key"}
            assert refs == expected
            named(resources, "Cluster", f"{service}-db")  # CloudNativePG writes <cluster>-app
            names = [i["name"] for i in container["env"]]
            env = {i["name"]: i.get("value", "") for i in container["env"]}
            assert names.index("AMQP_PASSWORD") < names.index("AMQP_URL")
            assert env["AMQP_URL"] == f"amqp://{service}:$(AMQP_PASSWORD)@aftersales-rabbitmq:5672/%2F"
            assert urlsplit(env["DATABASE_URL"]).password is None, "the password comes from PGPASSWORD"
    for text in (p.read_text() for p in K8S.rglob("*.yaml")):
        assert not re.search(r"(?i)password:\s*['\"]?[^\s'\"{]", text.replace("password: password", ""))


def test_the_services_accept_the_environment_their_pods_get(overlay):
    _, resources = overlay
    for resource in workloads(resources):
        service = service_of(resource)
        for container in all_containers(resource):
            generate.definitions.service_topology(service, environment(resources, container))


# ------------------------------------------------------------------------------------ broker topology --

def _declared_queue(queue) -> dict:
    arguments = dict(queue.arguments)
    queue_type = arguments.pop("x-queue-type", None)
    spec = {"name": queue.name, "vhost": "/", "durable": True, "autoDelete": False,
            "rabbitmqClusterReference": {"name": "aftersales-rabbitmq"}}
    if queue_type:
        spec["type"] = queue_type
    if arguments:
        spec["arguments"] = arguments
    return spec


def consumers(resources):
    return [d for d in of_kind(resources, "Deployment") if component_of(d) == "consumer"]


def declared(resources, deployment):
    [container] = pod_spec(deployment)["containers"]
    return generate.declared_topologies(service_of(deployment), environment(resources, container))


def test_the_broker_resources_are_exactly_what_the_consumers_declare(overlay):
    _, resources = overlay
    queues = {q["spec"]["name"]: q["spec"] for q in of_kind(resources, "Queue")}
    bindings = Counter((b["spec"]["source"], b["spec"]["destination"], b["spec"]["routingKey"])
                       for b in of_kind(resources, "Binding"))
    exchanges = {e["spec"]["name"]: e["spec"] for e in of_kind(resources, "Exchange")}
    expected_queues, expected_bindings = {}, Counter()
    for deployment in consumers(resources):
        for topology in declared(resources, deployment):
            for exchange in topology.exchanges():
                assert exchanges[exchange.name]["type"] == exchange.type
                assert exchanges[exchange.name].get("arguments", {}) == exchange.arguments
            for queue in topology.queues():
                expected_queues[queue.name] = _declared_queue(queue)
                expected_bindings.update((source, queue.name, key) for source, key in queue.bindings)
    assert queues == expected_queues
    assert bindings == Counter(set(expected_bindings)) and all(n == 1 for n in bindings.values())
    assert set(exchanges) == {"aftersales.events", "aftersales.dlx", "aftersales.unroutable"}
    assert exchanges["aftersales.events"]["arguments"] == {"alternate-exchange": "aftersales.unroutable"}
    assert exchanges["aftersales.unroutable"]["type"] == "fanout"


def test_quorum_queues_with_delivery_limit_dead_lettering_and_retries(overlay):
    _, resources = overlay
    queues = {q["spec"]["name"]: q["spec"] for q in of_kind(resources, "Queue")}
    mains = [t.queue_name for d in consumers(resources) for t in declared(resources, d)]
    assert len(mains) == len(set(mains))
    assert all(q["type"] == "quorum" for q in queues.values())
    for name in mains:
        arguments = queues[name]["arguments"]
        assert arguments["x-delivery-limit"] == 5
        assert (arguments["x-dead-letter-exchange"], arguments["x-dead-letter-routing-key"]) == (
            "aftersales.dlx", f"{name}.dlq")
        assert (arguments["x-dead-letter-strategy"], arguments["x-overflow"]) == ("at-least-once", "reject-publish")
        for n, ttl in ((1, 1000), (2, 5000), (3, 30000)):
            retry = queues[f"{name}.retry.{n}"]["arguments"]
            assert (retry["x-message-ttl"], retry["x-dead-letter-exchange"], retry["x-dead-letter-routing-key"]) == (
                ttl, "", name)
        assert f"{name}.dlq" in queues


def test_a_user_and_least_privilege_permission_per_service(overlay):
    _, resources = overlay
    queues = [q["spec"]["name"] for q in of_kind(resources, "Queue")]
    for service in SERVICES:
        named(resources, "User", service)
        permission = named(resources, "Permission", service)["spec"]
        topologies = [t for d in consumers(resources) if service_of(d) == service for t in declared(resources, d)]
        assert permission["permissions"] == {k: v for k, v in
                                             generate.definitions.permissions_for(topologies).items()}
        configure = permission["permissions"]["configure"]
        own = {q for q in queues if q.startswith(f"{service}.events")}
        assert own and all(re.search(configure, q) for q in own)
        others = [q for q in queues if not q.startswith(f"{service}.events") and q != "aftersales.unroutable"]
        assert not [q for q in others if re.search(configure, q)]


def test_keda_scales_each_consumer_on_the_queue_it_consumes(overlay):
    _, resources = overlay
    queues = {q["spec"]["name"] for q in of_kind(resources, "Queue")}
    auth = {a["metadata"]["name"] for a in of_kind(resources, "TriggerAuthentication")}
    scaled = of_kind(resources, "ScaledObject")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled} == {d["metadata"]["name"] for d in consumers(resources)}
    for scaler in scaled:
        deployment = named(resources, "Deployment", scaler["spec"]["scaleTargetRef"]["name"])
        [trigger] = scaler["spec"]["triggers"]
        metadata = trigger["metadata"]
        assert trigger["type"] == "rabbitmq" and trigger["authenticationRef"]["name"] in auth
        assert metadata["queueName"] in queues
        assert [metadata["queueName"]] == [t.queue_name for t in declared(resources, deployment)]
        assert metadata["mode"] == "QueueLength" and int(metadata["value"]) > 0 and metadata["vhostName"] == "/"
        # KEDA runs in its own namespace: the host must name the broker's
        namespace = deployment["metadata"]["namespace"]
        assert metadata["host"] == f"http://aftersales-rabbitmq.{namespace}.svc:15672/"
        assert 1 <= scaler["spec"]["minReplicaCount"] <= scaler["spec"]["maxReplicaCount"]


def test_the_small_overlay_runs_one_of_everything_and_the_large_one_a_dispatch_consumer_per_region():
    small, large = render(K8S / "overlays" / "small"), render(K8S / "overlays" / "large")
    for deployment in of_kind(small, "Deployment"):
        assert deployment["spec"].get("replicas", 1) == 1
    assert {h["spec"]["minReplicas"] for h in of_kind(small, "HorizontalPodAutoscaler")} == {1}
    assert {s["spec"]["minReplicaCount"] for s in of_kind(small, "ScaledObject")} == {1}
    assert [t.queue_name for d in consumers(small) if service_of(d) == "dispatch" for t in declared(small, d)] == [
        "dispatch.events"]
    regional = sorted(t.queue_name for d in consumers(large) if service_of(d) == "dispatch"
                      for t in declared(large, d))
    assert len(regional) >= 2 and regional == sorted(f"dispatch.events.{r}" for r in generate.LARGE_REGIONS)
    assert "dispatch.events" not in {q["spec"]["name"] for q in of_kind(large, "Queue")}
    assert {c["spec"]["instances"] for c in of_kind(large, "Cluster")} == {3}


# ----------------------------------------------------------------------------------- connections --

def _ceiling(container) -> int:
    query = parse_qs(urlsplit(next(i["value"] for i in container["env"] if i["name"] == "DATABASE_URL")).query)
    return int(query["pool_size"][0]) + int(query["max_overflow"][0])


def connection_budget(resources, service: str) -> dict[str, int]:
    """Per service: most clients the pooler may see, and most server connections PostgreSQL may see."""
    clients = direct = 0
    hpa = {h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"] for h in of_kind(resources, "HorizontalPodAutoscaler")}
    keda = {s["spec"]["scaleTargetRef"]["name"]: s["spec"]["maxReplicaCount"] for s in of_kind(resources, "ScaledObject")}
    for resource in workloads(resources):
        if service_of(resource) != service:
            continue
        [container] = pod_spec(resource)["containers"]
        env = environment(resources, container)
        if resource["kind"] == "Job":
            pods, processes = 1, 1
        else:
            name = resource["metadata"]["name"]
            most = hpa.get(name) or keda.get(name) or resource["spec"]["replicas"]
            pods = most + resource["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
            processes = int(env.get("WEB_CONCURRENCY", 1)) if component_of(resource) == "web" else 1
        # the schema gate holds one connection, and only before the main container opens any
        for gate in pod_spec(resource).get("initContainers", []):
            assert _ceiling(gate) <= _ceiling(container) * processes
        per_pod = processes * (_ceiling(container) + (1 if component_of(resource) == "relay" else 0))  # + LISTEN
        if "-db-pooler-rw" in env["DATABASE_URL"]:
            clients += pods * per_pod
        else:
            assert f"@{service}-db-rw:" in env["DATABASE_URL"]
            direct += pods * per_pod
    pooler = named(resources, "Pooler", f"{service}-db-pooler-rw")["spec"]
    parameters = pooler["pgbouncer"]["parameters"]
    postgres = named(resources, "Cluster", f"{service}-db")["spec"]["postgresql"]["parameters"]
    return {
        "clients": clients,
        "max_client_conn": int(parameters["max_client_conn"]),
        "server": pooler["instances"] * (int(parameters["default_pool_size"]) + int(parameters["reserve_pool_size"]))
        + direct,
        "available": int(postgres["max_connections"]) - int(postgres["superuser_reserved_connections"]) - HEADROOM,
    }


@pytest.mark.parametrize("service", SERVICES)
def test_no_database_is_promised_more_connections_than_it_has(overlay, service):
    """Clients: all of them on one pooler instance at once; server: every pooler instance's full pool."""
    name, resources = overlay
    budget = connection_budget(resources, service)
    assert 0 < budget["clients"] <= budget["max_client_conn"], (name, service, budget)
    assert 0 < budget["server"] <= budget["available"], (name, service, budget)


def test_the_relay_and_migrations_bypass_the_transaction_pooler(overlay):
    """The relay's advisory lock and LISTEN, and migrations' DDL, need a session of their own."""
    _, resources = overlay
    for resource in workloads(resources):
        [container] = pod_spec(resource)["containers"]
        host = urlsplit(environment(resources, container)["DATABASE_URL"]).hostname
        direct = component_of(resource) in ("relay", "migrate")
        assert host == f"{service_of(resource)}-db-{'rw' if direct else 'pooler-rw'}", resource["metadata"]["name"]


def test_the_readme_shows_the_arithmetic_the_manifests_have():
    rows = {"small, each": ("small", SERVICES), "large, intake": ("large", ("intake",)),
            "large, dispatch": ("large", ("dispatch",)), "large, others": ("large", ("inventory", "billing", "fracas"))}
    text = (K8S / "README.md").read_text()
    rendered = {name: render(K8S / "overlays" / name) for name in OVERLAYS}
    for label, (overlay_name, services) in rows.items():
        [line] = [ln for ln in text.splitlines() if ln.startswith(f"| {label} |")]
        cells = [c.strip() for c in line.strip("|").split("|")]
        shown = {"clients": int(cells[3]), "max_client_conn": int(cells[4]),
                 "server": int(cells[5].split("=")[-1]), "available": int(cells[6].split("=")[-1])}
        for service in services:
            assert connection_budget(rendered[overlay_name], service) == shown, (label, service)
    assert "deploy/k8s/" in (ROOT / "README.md").read_text()
