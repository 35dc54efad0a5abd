"""`make run` refuses clearly when there is no broker, instead of starting a half-working platform."""
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_broker_gives_one_line_saying_how_to_start_one(tmp_path):
    env = dict(os.environ, AMQP_URL=f"amqp://guest:guest@127.0.0.1:{closed_port()}/%2F", VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, str(ROOT / "deploy" / "run_local.py")], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot reach RabbitMQ" in lines[0] and "rabbitmq-server -detached" in lines[0]
    assert not list(tmp_path.iterdir()), "nothing is created when the platform cannot start"
