"""Consumers and relays answer probes and scrapes on their own port."""
import json
import socket
from urllib.error import HTTPError
from urllib.request import urlopen

from aftersales_shared.health import Readiness, flag_check, serve_health


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port, path):
    try:
        with urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


def test_a_worker_is_ready_only_while_everything_it_needs_is():
    state = {"consumer": True}

    def database():
        raise OSError("connection to 10.1.1.1 refused")

    port = free_port()
    server = serve_health(port, "billing", "consumer",
                          Readiness({"consumer": flag_check(lambda: state["consumer"], "consumer")}))
    try:
        assert get(port, "/healthz") == (200, json.dumps({"status": "ok", "service": "billing", "role": "consumer"}))
        status, body = get(port, "/readyz")
        assert status == 200 and json.loads(body)["checks"] == {"consumer": "ok"}
        state["consumer"] = False
        status, body = get(port, "/readyz")
        assert status == 503 and json.loads(body) == {"ready": False, "checks": {"consumer": "unavailable"},
                                                      "required": ["consumer"]}
        status, body = get(port, "/metrics")
        assert status == 200 and "# TYPE" in body
        assert get(port, "/nothing")[0] == 404
    finally:
        server.shutdown()
        server.server_close()

    port = free_port()
    server = serve_health(port, "billing", "relay", Readiness({"database": database}))
    try:
        status, body = get(port, "/readyz")
        assert status == 503 and "10.1.1.1" not in body
    finally:
        server.shutdown()
        server.server_close()
