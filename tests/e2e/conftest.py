import pytest

from aftersales_shared.testing.tcpproxy import TcpProxy

from .platform import SERVICES, start_platform


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def platform(request, amqp_vhost, pg_database, tmp_path_factory):
    """All five services as real processes, reaching the broker through a proxy a test can cut."""
    proxy = TcpProxy("127.0.0.1", 5672)
    env = {"AMQP_URL": proxy.url_for(amqp_vhost)}
    if request.param == "postgresql":
        env.update({f"{service.upper()}_DATABASE_URL": pg_database() for service in SERVICES})
    running = start_platform(env, tmp_path_factory.mktemp(f"platform-{request.param}"))
    running.proxy = proxy
    running.database = request.param
    yield running
    code = running.stop()
    proxy.close()
    assert code == 0, f"the platform did not stop cleanly (exit {code}):\n{running.log_tail()}"
