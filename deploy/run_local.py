"""`make run`: the whole platform as local processes, in the foreground; Ctrl-C or SIGTERM stops all.

Per service: migrations, then a gunicorn web server, a consumer and an outbox relay. Each service gets
its own database: a SQLite file under var/ unless <SERVICE>_DATABASE_URL says otherwise.
"""
from __future__ import annotations

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

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {"intake": 8001, "dispatch": 8002, "inventory": 8003, "billing": 8004, "fracas": 8005}
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
STOP_GRACE_SECONDS = 10


def log(message: str) -> None:
    print(f"[run] {message}", flush=True)


def check_broker(url: str) -> str | None:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.connect()
    except Exception as exc:  # noqa: BLE001 - any failure here means the same thing to the user
        return f"{type(exc).__name__}: {exc}"
    return None


class Platform:
    def __init__(self, environ: dict[str, str]):
        self.environ = environ
        self.var = Path(environ.get("VAR_DIR") or ROOT / "var").resolve()
        self.amqp_url = environ.get("AMQP_URL") or DEFAULT_AMQP_URL
        self.host = environ.get("HOST", "127.0.0.1")
        self.workers = environ.get("WEB_WORKERS", "2")
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.stopping = threading.Event()

    def port(self, service: str) -> int:
        return int(self.environ.get(f"{service.upper()}_PORT") or SERVICES[service])

    def database_url(self, service: str) -> str:
        return self.environ.get(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{self.var / service}.db"

    def child_env(self, service: str, role: str) -> dict[str, str]:
        env = dict(self.environ)
        env.update(DATABASE_URL=self.database_url(service), AMQP_URL=self.amqp_url,
                   HEARTBEAT_DIR=str(self.var / "heartbeats"), PYTHONUNBUFFERED="1")
        if role == "web":
            env["PROMETHEUS_MULTIPROC_DIR"] = str(self.var / "prometheus" / service)
        return env

    def command(self, service: str, role: str) -> list[str]:
        if role == "web":
            return [sys.executable, "-m", "gunicorn", "--bind", f"{self.host}:{self.port(service)}",
                    "--workers", self.workers, "--graceful-timeout", "5", "--access-logfile", "-",
                    f"{service}.entrypoints.flask_app:create_app()"]
        return [sys.executable, "-m", service, role]

    def migrate(self) -> None:
        for service in SERVICES:
            result = subprocess.run(self.command(service, "migrate"), env=self.child_env(service, "migrate"),
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise SystemExit(f"[run] {service}: migration failed:\n{result.stderr[-2000:]}")
        log("databases migrated")

    def start(self, service: str, role: str) -> None:
        env = self.child_env(service, role)
        if role == "web":
            # Metric files of a previous run would be summed into this one's.
            prom = Path(env["PROMETHEUS_MULTIPROC_DIR"])
            shutil.rmtree(prom, ignore_errors=True)
            prom.mkdir(parents=True)
        process = subprocess.Popen(self.command(service, role), env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
        name = f"{service}-{role}"
        self.children.append((name, process))
        threading.Thread(target=self._forward, args=(name, process), daemon=True).start()

    def _forward(self, name: str, process: subprocess.Popen) -> None:
        for line in process.stdout:
            print(f"[{name}] {line}", end="", flush=True)

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
            if self.exited():
                return False
            time.sleep(0.3)
        return not pending

    def exited(self) -> list[str]:
        return [name for name, process in self.children if process.poll() is not None]

    def stop(self) -> None:
        self.stopping.set()
        for _, process in self.children:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in self.children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in {STOP_GRACE_SECONDS}s; killing it")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main() -> int:
    platform = Platform(dict(os.environ))
    problem = check_broker(platform.amqp_url)
    if problem:
        print(f"cannot reach RabbitMQ at AMQP_URL={platform.amqp_url} ({problem}); start one with "
              f"'rabbitmq-server -detached' (or docker compose -f deploy/docker-compose.yml up rabbitmq) "
              f"or point AMQP_URL at one", file=sys.stderr)
        return 1
    platform.var.mkdir(parents=True, exist_ok=True)
    platform.migrate()
    signal.signal(signal.SIGTERM, lambda *_: platform.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: platform.stopping.set())
    for service in SERVICES:
        for role in ("web", "consumer", "relay"):
            platform.start(service, role)
    if platform.wait_ready():
        log("ready: " + ", ".join(f"{s} http://{platform.host}:{platform.port(s)}" for s in SERVICES))
    code = 0
    while not platform.stopping.is_set():
        died = platform.exited()
        if died:
            log(f"{', '.join(died)} exited; stopping everything")
            code = 1
            break
        platform.stopping.wait(0.5)
    log("stopping")
    platform.stop()
    log("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
