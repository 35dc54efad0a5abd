import io
import json
import os
import subprocess
import sys

import pytest

from e2e.platform import SERVICES, start_platform


@pytest.fixture(scope="module")
def platform(amqp_vhost, pg_database, tmp_path_factory):
    """All five services as real processes on PostgreSQL, as `make run` starts them."""
    env = {"AMQP_URL": amqp_vhost, **{f"{service.upper()}_DATABASE_URL": pg_database() for service in SERVICES}}
    # A generous start: the suite may share a small machine with other heavy work.
    running = start_platform(env, tmp_path_factory.mktemp("platform-ops"), timeout=240)
    running.database_urls = {service: env[f"{service.upper()}_DATABASE_URL"] for service in SERVICES}
    running.amqp_url = amqp_vhost
    yield running
    code = running.stop()
    assert code == 0, f"the platform did not stop cleanly (exit {code}):\n{running.log_tail()}"


class Cli:
    """The installed `aftersales` command, pointed at the test platform through its environment."""

    def __init__(self, platform):
        self.env = dict(os.environ)
        self.env.update({f"{service.upper()}_URL": url for service, url in platform.urls.items()})
        self.env["AMQP_URL"] = platform.amqp_url

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "aftersales_ops", *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def json(self, *args: str, timeout: float = 120):
        done = self(*args, "--json", timeout=timeout)
        assert done.returncode == 0, f"aftersales {' '.join(args)} exited {done.returncode}:\n{done.stderr}"
        return json.loads(done.stdout)

    def quick(self, *args: str, codes=(0,)):
        """The same command in this process: for polling, where a fresh interpreter each time costs seconds."""
        from aftersales_ops import cli
        from aftersales_ops.output import Output

        out, err = io.StringIO(), io.StringIO()
        code = cli.main([*args, "--json"], Output(stdout=out, stderr=err, progress=False), environ=self.env)
        assert code in codes, f"aftersales {' '.join(args)} exited {code}:\n{err.getvalue()}"
        return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def aftersales(platform) -> Cli:
    return Cli(platform)
