"""`make run` (deploy/run_local.py): refuses clearly when it cannot start, never prints a password, and
takes every process it started with it, however it dies."""
from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

import pytest

from aftersales_shared.testing.helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "deploy" / "run_local.py"
SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")
PASSWORD = "not-for-your-eyes-7Qx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def runner_env(var_dir: Path, ports: dict[str, int] | None = None, **extra: str) -> dict[str, str]:
    """Own VAR_DIR and ports, never the defaults another platform on this machine may be using."""
    ports = ports or {service: free_port() for service in SERVICES}
    env = dict(os.environ, VAR_DIR=str(var_dir), **extra)
    env.update({f"{service.upper()}_PORT": str(port) for service, port in ports.items()})
    return env


def run_runner(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUNNER)], env=env, capture_output=True, text=True, timeout=60)


# -- what the runner prints -----------------------------------------------------------------------------

def load_redaction():
    spec = importlib.util.spec_from_file_location("redaction", ROOT / "deploy" / "redaction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("line,hidden", [
    ("connecting to amqp://svc:s3cr3t-pw@rabbitmq:5672/%2F", "s3cr3t-pw"),
    ("DATABASE_URL=postgresql://intake:p%40ss%2Fword@db/intake failed", "p%40ss%2Fword"),
    ("two: amqp://a:first-pw@h/v and http://b:second-pw@h/", "first-pw"),
    ("two: amqp://a:first-pw@h/v and http://b:second-pw@h/", "second-pw"),
])
def test_credentials_in_urls_are_masked(line, hidden):
    masked = load_redaction().Redactor()(line)
    assert hidden not in masked and "***@" in masked


def test_the_runners_own_secrets_are_masked_wherever_they_appear():
    redact = load_redaction().Redactor.from_environ({
        "INTAKE_DATABASE_URL": "postgresql://intake:p%40ss-word@db/intake",
        "RABBITMQ_ADMIN_PASSWORD": "admin-secret-1",
        "HOST": "127.0.0.1",
    })
    line = redact("dsn password=p@ss-word user=admin password admin-secret-1 on 127.0.0.1")
    assert "p@ss-word" not in line and "admin-secret-1" not in line
    assert "127.0.0.1" in line, "only secrets are masked"


def test_plain_urls_are_left_alone():
    line = "ready: intake http://127.0.0.1:8001, dispatch http://127.0.0.1:8002/readyz"
    assert load_redaction().Redactor()(line) == line


# -- refusing to start ---------------------------------------------------------------------------------

def test_an_unreachable_broker_gives_one_line_saying_how_to_start_one(tmp_path):
    env = runner_env(tmp_path, AMQP_URL=f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F")
    result = run_runner(env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot reach RabbitMQ" in lines[0] and "rabbitmq-server -detached" in lines[0]
    assert not list(tmp_path.iterdir()), "nothing is created when the platform cannot start"


def test_the_broker_error_never_shows_the_password(tmp_path):
    env = runner_env(tmp_path, AMQP_URL=f"amqp://aftersales:{PASSWORD}@127.0.0.1:{free_port()}/%2F")
    result = run_runner(env)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert PASSWORD not in output
    assert "amqp://aftersales:***@127.0.0.1" in output, output


@pytest.fixture
def port_holder():
    """A process other than this one listening on a port, with a command line of its own."""
    script = ("import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
              "print(s.getsockname()[1], flush=True); sys.stdin.read()")
    holder = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    port = int(holder.stdout.readline())
    yield holder, port
    holder.stdin.close()
    holder.wait(timeout=10)


def test_a_port_in_use_names_the_process_holding_it_and_starts_nothing(tmp_path, port_holder):
    holder, port = port_holder
    ports = {service: free_port() for service in SERVICES}
    ports["billing"] = port
    env = runner_env(tmp_path, ports, AMQP_URL=f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F")
    result = run_runner(env)
    assert result.returncode != 0
    assert "RabbitMQ" not in result.stderr, "ports are checked before anything else"
    [line] = [ln for ln in result.stderr.splitlines() if str(port) in ln]
    assert "billing" in line and "BILLING_PORT" in line
    assert f"pid {holder.pid}" in line
    assert "import socket, sys" in line, "the holder's command line is shown"
    assert not list(tmp_path.iterdir()), "nothing is created when the platform cannot start"


def test_two_services_on_one_port_are_refused(tmp_path):
    ports = {service: free_port() for service in SERVICES}
    ports["fracas"] = ports["intake"]
    result = run_runner(runner_env(tmp_path, ports, AMQP_URL=f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"))
    assert result.returncode != 0
    assert "fracas" in result.stderr and "intake" in result.stderr and str(ports["intake"]) in result.stderr


# -- a running platform ----------------------------------------------------------------------------------

def process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, start time) of every process now."""
    table = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces; the fields after it do not.
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(proc.name)] = (int(fields[1]), fields[0], fields[19])
    return table


def descendants(pid: int) -> dict[int, str]:
    """pid -> start time of every live process below ``pid``."""
    table = process_table()
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, state, started) in table.items():
            if ppid == parent and child not in found and state != "Z":
                found[child] = started
                frontier.append(child)
    return found


def still_running(family: dict[int, str]) -> list[int]:
    table = process_table()
    return sorted(pid for pid, started in family.items()
                  if pid in table and table[pid][2] == started and table[pid][1] != "Z")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ready(port: int) -> bool:
    try:
        with urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def start_runner(tmp_path):
    """Factory: the platform started as `make run` starts it, with its own ports and VAR_DIR. After the test
    nothing it started is left running, whatever the test found."""
    started = []

    def start(amqp_url: str) -> subprocess.Popen:
        ports = {service: free_port() for service in SERVICES}
        log_path = tmp_path / f"runner-{len(started)}.log"
        env = runner_env(tmp_path / f"var-{len(started)}", ports, AMQP_URL=amqp_url, WEB_WORKERS="2",
                         PROCESS_MODEL="split", ACCESS_LOG="1", LOG_LEVEL="INFO")
        with log_path.open("w") as log:
            process = subprocess.Popen([sys.executable, str(RUNNER)], env=env, stdout=log,
                                       stderr=subprocess.STDOUT, cwd=ROOT)
        process.ports = ports
        process.log = lambda: log_path.read_text(errors="replace")
        process.family = {}
        started.append(process)
        wait_for(lambda: all(ready(port) for port in ports.values()) or process.poll() is not None,
                 timeout=120, interval=0.5, message=lambda: f"platform not ready:\n{process.log()[-3000:]}")
        assert process.poll() is None, f"the runner exited:\n{process.log()[-3000:]}"
        # 5 services x (gunicorn master + 2 workers + consumer + relay); the workers are grandchildren.
        # The watchman is a child too.
        process.family.update(wait_for(
            lambda: (lambda found: found if len(found) == 26 else None)(descendants(process.pid)),
            timeout=30, message=lambda: f"expected 26 processes under the runner, found "
                                        f"{len(descendants(process.pid))}"))
        return process

    yield start
    for process in started:
        process.family.update(descendants(process.pid))
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        for pid in still_running(process.family):
            os.kill(pid, signal.SIGKILL)


def assert_all_gone_with_their_ports(runner, timeout: float) -> None:
    wait_for(lambda: not still_running(runner.family), timeout=timeout, interval=0.2,
             message=lambda: f"still running after the runner was killed: {still_running(runner.family)}")
    busy = [port for port in runner.ports.values() if not port_is_free(port)]
    assert not busy, f"ports still held: {busy}"


@pytest.mark.e2e
def test_killing_the_runner_outright_takes_every_process_with_it(start_runner, new_vhost):
    runner = start_runner(new_vhost())
    runner.kill()
    runner.wait(timeout=10)
    # The parent-death signal: everything stops at once, well within the runner's own grace period.
    assert_all_gone_with_their_ports(runner, timeout=25)


@pytest.mark.e2e
def test_processes_that_ignore_sigterm_go_too(start_runner, new_vhost, tcp_proxy):
    # With the broker gone, a consumer keeps retrying its connection and does not stop on SIGTERM.
    proxy = tcp_proxy("127.0.0.1", 5672)
    runner = start_runner(proxy.url_for(new_vhost()))
    proxy.stop_accepting_and_cut()
    wait_for(lambda: "broker unreachable" in runner.log(), timeout=30,
             message=lambda: f"no consumer noticed the broker going:\n{runner.log()[-2000:]}")
    runner.kill()
    runner.wait(timeout=10)
    assert_all_gone_with_their_ports(runner, timeout=30)


@pytest.mark.e2e
def test_forwarded_lines_never_show_a_password(start_runner, new_vhost):
    runner = start_runner(new_vhost())
    # gunicorn's access log repeats the request line, query string and all; the runner forwards it.
    port = runner.ports["intake"]
    with urlopen(f"http://127.0.0.1:{port}/healthz?probe=amqp://someone:{PASSWORD}@broker.example/"):
        pass
    wait_for(lambda: "probe=amqp://" in runner.log(), timeout=10,
             message=lambda: f"the access line never came through:\n{runner.log()[-2000:]}")
    log = runner.log()
    assert PASSWORD not in log
    assert "probe=amqp://someone:***@broker.example/" in log


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.e2e
def test_a_process_that_dies_is_started_again_and_the_rest_keep_running(start_runner, new_vhost):
    runner = start_runner(new_vhost())
    [consumer] = [pid for pid in descendants(runner.pid) if cmdline(pid).endswith("-m billing consumer ")]
    os.kill(consumer, signal.SIGKILL)
    wait_for(lambda: "billing-consumer exited with -9; starting it again" in runner.log(), timeout=15,
             message=lambda: f"the runner did not restart the consumer:\n{runner.log()[-2000:]}")
    wait_for(lambda: [pid for pid in descendants(runner.pid) if cmdline(pid).endswith("-m billing consumer ")
                      and pid != consumer], timeout=15, message="no new billing consumer")
    assert runner.poll() is None
    assert all(ready(port) for port in runner.ports.values())


def test_each_worker_gets_its_own_metrics_port_and_none_share_one(tmp_path):
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        spec = importlib.util.spec_from_file_location("run_local_ports", RUNNER)
        run_local = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(run_local)
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    platform = run_local.Platform({"VAR_DIR": str(tmp_path), "METRICS_PORT": "9100",
                                   "BILLING_METRICS_PORT": "9104"}, out=None)
    assert platform.child_env("billing", "worker")["METRICS_PORT"] == "9104"
    assert "METRICS_PORT" not in platform.child_env("intake", "worker")
    assert "METRICS_PORT" not in platform.child_env("billing", "web")
    assert "METRICS_PORT" not in platform.child_env("billing", "relay")
