"""The whole platform started the way `make run` starts it, for end-to-end tests."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningPlatform:
    process: subprocess.Popen
    ports: dict[str, int]
    log_path: Path
    urls: dict[str, str] = field(init=False)

    def __post_init__(self):
        self.urls = {service: f"http://127.0.0.1:{port}" for service, port in self.ports.items()}

    def url(self, service: str, path: str) -> str:
        return self.urls[service] + path

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def all_ready(self) -> bool:
        for service in SERVICES:
            try:
                if requests.get(self.url(service, "/readyz"), timeout=2).status_code != 200:
                    return False
            except requests.RequestException:
                return False
        return True

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def start_platform(env_overrides: dict[str, str], var_dir: Path, timeout: float = 120.0) -> RunningPlatform:
    ports = {service: free_port() for service in SERVICES}
    env = dict(os.environ)
    env.update(env_overrides)
    env.update({f"{service.upper()}_PORT": str(port) for service, port in ports.items()})
    env.update(VAR_DIR=str(var_dir), WEB_WORKERS="1", RETRY_DELAYS_MS="200,500,1000",
               RELAY_IDLE_SECONDS="0.05", RELAY_MAX_BACKOFF_SECONDS="1", LOG_LEVEL="INFO")
    log_path = var_dir / "platform.log"
    var_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_path.open("w")
    process = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "run_local.py")], env=env,
                               stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT)
    platform = RunningPlatform(process, ports, log_path)
    deadline = time.monotonic() + timeout
    while not platform.all_ready():
        if process.poll() is not None or time.monotonic() > deadline:
            platform.stop()
            raise AssertionError(f"platform did not become ready:\n{platform.log_tail()}")
        time.sleep(0.5)
    return platform
