"""`make run`: the whole platform as local processes, in the foreground; Ctrl-C or SIGTERM stops all.

Per service: migrations and the broker objects it needs, then a gunicorn web server and a worker (its
consumer and outbox relay in one process; PROCESS_MODEL=split runs them as two). Each service gets its
own database: a SQLite file under var/ unless <SERVICE>_DATABASE_URL says otherwise. Every service's
queues are declared before any process starts, so nothing published early is lost.

Every process started here dies with the runner, even when the runner is killed outright (lifeline.py).
No line printed here carries a password: credentials are masked in the runner's own lines and in
everything it forwards from the processes it started.
"""
from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from lifeline import dies_with
from port_check import port_problem
from redaction import Redactor

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
SERVICES = {"intake": 8001, "dispatch": 8002, "inventory": 8003, "billing": 8004, "fracas": 8005}
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
STOP_GRACE_SECONDS = 10
CRASH_LOOP_DEATHS, CRASH_LOOP_SECONDS = 5, 60.0
PROCESS_MODELS = {"worker": ("web", "worker"), "split": ("web", "consumer", "relay")}


class Output:
    """Every line the runner prints goes through here."""

    def __init__(self, redact: Redactor):
        self.redact = redact
        self.lock = threading.Lock()

    def line(self, text: str, stream=None) -> None:
        stream = stream or sys.stdout
        with self.lock:
            print(self.redact(text.rstrip("\n")), file=stream, flush=True)

    def log(self, message: str) -> None:
        self.line(f"[run] {message}")

    def error(self, message: str) -> None:
        self.line(message, sys.stderr)


def check_broker(url: str) -> str | None:
    from aftersales_shared.amqp import blocking_connection
    from aftersales_shared.config import MessagingSettings

    try:
        blocking_connection(MessagingSettings(amqp_url=url), "make-run-check", timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure here means the same thing to the user
        return f"{type(exc).__name__}: {exc}"
    return None


class Platform:
    def __init__(self, environ: dict[str, str], out: Output):
        self.environ = environ
        self.out = out
        self.var = Path(environ.get("VAR_DIR") or ROOT / "var").resolve()
        self.amqp_url = environ.get("AMQP_URL") or DEFAULT_AMQP_URL
        self.host = environ.get("HOST", "127.0.0.1")
        self.process_model = environ.get("PROCESS_MODEL", "worker")
        if self.process_model not in PROCESS_MODELS:
            raise SystemExit(f"PROCESS_MODEL must be one of {', '.join(PROCESS_MODELS)}, got {self.process_model!r}")
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.deaths: dict[str, list[float]] = {}
        self.stopping = threading.Event()
        self.watchman: subprocess.Popen | None = None

    def port(self, service: str) -> int:
        return int(self.environ.get(f"{service.upper()}_PORT") or SERVICES[service])

    def port_problems(self) -> list[str]:
        problems, seen = [], {}
        for service in SERVICES:
            port = self.port(service)
            if port in seen:
                problems.append(f"{service}: port {port} is also {seen[port]}'s; set {service.upper()}_PORT")
                continue
            seen[port] = service
            problem = port_problem(self.host, port)
            if problem:
                problems.append(f"{service}: {problem}; stop it or set {service.upper()}_PORT")
        return problems

    def database_url(self, service: str) -> str:
        return self.environ.get(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{self.var / service}.db"

    def child_env(self, service: str, role: str) -> dict[str, str]:
        env = dict(self.environ)
        env.update(DATABASE_URL=self.database_url(service), AMQP_URL=self.amqp_url,
                   HEARTBEAT_DIR=str(self.var / "heartbeats"), PYTHONUNBUFFERED="1")
        if role == "web":
            env["PROMETHEUS_MULTIPROC_DIR"] = str(self.var / "prometheus" / service)
        if service == "intake" and not env.get("PARTNER_SECRETS_KEY"):
            env["PARTNER_SECRETS_KEY"] = self.partner_secrets_key()
        # One port per process: <SERVICE>_METRICS_PORT gives a worker (or consumer) /metrics for Prometheus
        # (deploy/observability/prometheus-local.yml); a port shared by all would fail to bind.
        env.pop("METRICS_PORT", None)
        metrics_port = self.environ.get(f"{service.upper()}_METRICS_PORT")
        if metrics_port and role in ("worker", "consumer"):
            env["METRICS_PORT"] = metrics_port
        return env

    def partner_secrets_key(self) -> str:
        """Intake's key for sealing dealers' secrets: made once and kept in var/, so every intake process
        shares it and registered dealers keep working across restarts (production sets PARTNER_SECRETS_KEY)."""
        path = self.var / "intake-partner-secrets.key"
        if not path.exists():
            self.var.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as out:
                out.write(base64.urlsafe_b64encode(os.urandom(32)).decode())  # a Fernet key
        return path.read_text().strip()

    def setting(self, service: str, name: str, default: str) -> str:
        """<SERVICE>_<NAME> for one service, else <NAME> for all, else the default."""
        return self.environ.get(f"{service.upper()}_{name}") or self.environ.get(name) or default

    def command(self, service: str, role: str) -> list[str]:
        if role == "web":
            # gthread keeps the callers' connections alive and overlaps one request's commit with the next
            # one's work: measured with `make bench`, a ticket costs about a quarter less CPU than with
            # one sync worker, and the whole flow settles more tickets per second.
            threads = self.setting(service, "WEB_THREADS", "4")
            return [sys.executable, "-m", "gunicorn", "--config", str(HERE / "lifeline.py"),
                    "--bind", f"{self.host}:{self.port(service)}",
                    "--workers", self.setting(service, "WEB_WORKERS", "1"),
                    "--threads", threads, "--worker-class", "gthread" if threads != "1" else "sync",
                    "--graceful-timeout", "5", "--access-logfile", "-" if self.access_log else "/dev/null",
                    f"{service}.entrypoints.flask_app:create_app()"]
        return [sys.executable, "-m", service, role]

    @property
    def access_log(self) -> bool:
        # Off by default: every failed or slow request is logged by the app itself, with its correlation id.
        return self.environ.get("ACCESS_LOG", "0") not in ("0", "false", "no")

    @property
    def roles(self) -> tuple[str, ...]:
        return PROCESS_MODELS[self.process_model]

    def start_watchman(self) -> None:
        """Stops whatever the runner started once the runner is gone, however it went (see lifeline.py)."""
        self.watchman = subprocess.Popen(
            [sys.executable, str(HERE / "lifeline.py"), str(STOP_GRACE_SECONDS)], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, start_new_session=True)

    def tell_watchman(self, line: str) -> None:
        try:
            self.watchman.stdin.write(line + "\n")
            self.watchman.stdin.flush()
        except (AttributeError, OSError):  # none, or gone: the parent-death signal still holds
            pass

    def dismiss_watchman(self) -> None:
        if self.watchman:
            self.watchman.stdin.close()
            self.watchman.wait()

    def spawn(self, service: str, role: str) -> subprocess.Popen:
        # Own session: Ctrl-C reaches the runner only, which then stops each group in order.
        process = subprocess.Popen(self.command(service, role), env=self.child_env(service, role),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True, preexec_fn=dies_with(os.getpid()))
        self.tell_watchman(f"+{process.pid}")
        return process

    def prepare(self) -> bool:
        """Every database migrated and every service's queues declared before any process publishes."""
        for step, what in (("migrate", "migration"), ("declare", "declaring its broker objects")):
            # All services at once: each has its own database, and declaring is idempotent.
            processes = {service: self.spawn(service, step) for service in SERVICES}
            failed = False
            for service, process in processes.items():
                output, _ = process.communicate()
                self.tell_watchman(f"-{process.pid}")
                if process.returncode != 0:
                    self.out.error(f"[run] {service}: {what} failed:\n{output[-2000:]}")
                    failed = True
            if failed:
                return False
        self.out.log("databases migrated, broker objects declared")
        return True

    def restart_dead(self) -> list[str]:
        """Starts again whatever died on its own, as a process manager would; returns the names of those that
        keep dying (CRASH_LOOP_DEATHS within CRASH_LOOP_SECONDS), which the runner then gives up on."""
        hopeless = []
        now = time.monotonic()
        for index, (name, process) in enumerate(list(self.children)):
            if process.poll() is None:
                continue
            self.tell_watchman(f"-{process.pid}")
            deaths = [t for t in self.deaths.get(name, []) if now - t < CRASH_LOOP_SECONDS] + [now]
            self.deaths[name] = deaths
            if len(deaths) >= CRASH_LOOP_DEATHS:
                hopeless.append(name)
                continue
            self.out.log(f"{name} exited with {process.returncode}; starting it again")
            service, role = name.rsplit("-", 1)
            self.children[index] = (name, self._launch(service, role, name))
        return hopeless

    def start(self, service: str, role: str) -> None:
        if role == "web":
            # Metric files of a previous run would be summed into this one's.
            prom = self.var / "prometheus" / service
            shutil.rmtree(prom, ignore_errors=True)
            prom.mkdir(parents=True)
        name = f"{service}-{role}"
        self.children.append((name, self._launch(service, role, name)))

    def _launch(self, service: str, role: str, name: str) -> subprocess.Popen:
        process = self.spawn(service, role)
        threading.Thread(target=self._forward, args=(name, process), daemon=True).start()
        return process

    def _forward(self, name: str, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.out.line(f"[{name}] {line}")

    def wait_ready(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        pending = set(SERVICES)
        while pending and time.monotonic() < deadline and not self.stopping.is_set():
            for service in sorted(pending):
                try:
                    with urlopen(f"http://{self.host}:{self.port(service)}/readyz", timeout=2) as response:
                        if response.status == 200:
                            pending.discard(service)
                except (URLError, OSError):
                    pass
            if self.restart_dead():
                return False
            time.sleep(0.3)
        return not pending

    def stop(self) -> None:
        self.stopping.set()
        for _, process in self.children:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in self.children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.out.log(f"{name} did not stop in {STOP_GRACE_SECONDS}s; killing it")
                _signal_group(process, signal.SIGKILL)
                process.wait()
            # Whatever of its group outlived it (a gunicorn worker) goes too.
            _signal_group(process, signal.SIGKILL)
            self.tell_watchman(f"-{process.pid}")


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def main() -> int:
    out = Output(Redactor.from_environ(os.environ))
    platform = Platform(dict(os.environ), out)
    problems = platform.port_problems()
    if problems:
        for problem in problems:
            out.error(f"cannot start: {problem}")
        return 1
    problem = check_broker(platform.amqp_url)
    if problem:
        out.error(f"cannot reach RabbitMQ at AMQP_URL={platform.amqp_url} ({problem}); start one with "
                  f"'rabbitmq-server -detached' (or docker compose -f deploy/docker-compose.yml up rabbitmq) "
                  f"or point AMQP_URL at one")
        return 1
    platform.var.mkdir(parents=True, exist_ok=True)
    platform.start_watchman()
    try:
        return run(platform, out)
    finally:
        platform.dismiss_watchman()


def run(platform: Platform, out: Output) -> int:
    if not platform.prepare():
        return 1
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: platform.stopping.set())
    code = 0
    try:
        for service in SERVICES:
            for role in platform.roles:
                platform.start(service, role)
        if platform.wait_ready():
            out.log("ready: " + ", ".join(f"{s} http://{platform.host}:{platform.port(s)}" for s in SERVICES))
        while not platform.stopping.is_set():
            hopeless = platform.restart_dead()
            if hopeless:
                out.log(f"{', '.join(hopeless)} died {CRASH_LOOP_DEATHS} times within {CRASH_LOOP_SECONDS:.0f}s; "
                        f"stopping everything")
                code = 1
                break
            platform.stopping.wait(0.5)
    finally:
        out.log("stopping")
        platform.stop()
        out.log("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
