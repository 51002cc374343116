"""Redis over TLS with a verified certificate, a client certificate and a Redis 6 ACL user.

The test makes its own CA (``support.certificates``), starts a TLS-only redis-server that requires
client certificates, and gives it an ACL user without the dangerous commands; the default user is
turned off, so nothing works without that user's password. Through the gateway everything that
touches Redis must work (signin, refresh, signout, the revocation feed), and a service that cannot
verify the server (another CA, a certificate for another name) or shows no client certificate must
not get to Redis at all.
"""

from __future__ import annotations

import pytest

from support.accounts import create_account, refresh
from support.certificates import ThrowawayCA
from support.stores import PrivateRedis, RedisTLS

from .refused import assert_auth_never_reaches_redis

USER, PASSWORD = "authapp", "app-pw-for-this-run-only"
#: The test's own user, to look at the connections (CLIENT LIST is not for the application).
INSPECTOR, INSPECTOR_PASSWORD = "inspector", "inspector-pw-for-this-run-only"


@pytest.fixture
def pki(tmp_path):
    return ThrowawayCA(tmp_path / "pki")


@pytest.fixture
def tls_redis(pki):
    server = pki.issue("redis-server", dns=["localhost"], ips=["127.0.0.1"])
    # Also on 127.0.0.2, an address the certificate does not name.
    redis = PrivateRedis("redis-tls", tls=RedisTLS(server.certificate, server.key, pki.certificate,
                                                   require_client_certificate=True),
                         extra=["--bind", "127.0.0.1", "127.0.0.2"])
    redis.cli("ACL", "SETUSER", USER, "on", f">{PASSWORD}", "~*", "&*", "+@all", "-@dangerous")
    redis.cli("ACL", "SETUSER", INSPECTOR, "on", f">{INSPECTOR_PASSWORD}", "+client|list")
    redis.cli("ACL", "SETUSER", "default", "off")
    yield redis
    redis.stop()


def tls_env(redis: PrivateRedis, ca, client, host: str = "127.0.0.1") -> dict[str, str]:
    return {
        "REDIS_URL": f"rediss://{USER}:{PASSWORD}@{host}:{redis.port}/2",
        "REDIS_CA_FILE": str(ca),
        "REDIS_CERT_FILE": str(client.certificate),
        "REDIS_KEY_FILE": str(client.key),
    }


def test_the_system_runs_on_redis_over_verified_tls_as_an_acl_user(pki, tls_redis, make_system):
    client_cert = pki.issue("auth-backend", client=True)
    for host in ("127.0.0.1", "localhost"):  # an IP address checked against the IP SAN, a name against the DNS SAN
        system = make_system(env=tls_env(tls_redis, pki.certificate, client_cert, host), gateways=2)
        account = create_account(system.http)
        assert system.http.get("/api/test/user", headers=account.headers()).status == 200
        reply = refresh(system.http, account.refresh_token)
        assert reply.status == 200, reply
        account.access_token = reply.json()["accessToken"]
        assert system.http.post("/api/auth/signout", headers=account.headers()).status == 200
        # Both gateways follow the revocation stream over TLS.
        for gateway in range(2):
            assert system.client(gateway).get("/api/test/user", headers=account.headers()).status == 401
        clients = tls_redis.cli("CLIENT", "LIST", user=INSPECTOR, password=INSPECTOR_PASSWORD)
        assert f"user={USER}" in clients and " db=2 " in clients, clients
        assert "user=default" not in clients
        assert clients.count(f"user={USER}") >= 3, clients  # the auth service's pool and each gateway's feed
        system.stop()


@pytest.mark.parametrize("case", ["another CA", "a certificate for another name", "no client certificate", "wrong password"])
def test_a_service_that_cannot_verify_or_authenticate_never_reaches_redis(case, pki, tls_redis, tmp_path):
    client_cert = pki.issue("auth-backend", client=True)
    env = tls_env(tls_redis, pki.certificate, client_cert)
    if case == "another CA":
        env["REDIS_CA_FILE"] = str(ThrowawayCA(tmp_path / "other", name="other CA").certificate)
    elif case == "a certificate for another name":
        # The same CA, but the server is reached by a name its certificate does not carry.
        env["REDIS_URL"] = env["REDIS_URL"].replace("127.0.0.1", "127.0.0.2")
    elif case == "no client certificate":
        del env["REDIS_CERT_FILE"], env["REDIS_KEY_FILE"]
    else:
        env["REDIS_URL"] = env["REDIS_URL"].replace(PASSWORD, "not-the-password")

    def no_connection_got_through() -> None:
        clients = tls_redis.cli("CLIENT", "LIST", user=INSPECTOR, password=INSPECTOR_PASSWORD)
        assert clients.count("\n") == 0, f"a connection got through: {clients}"
    assert_auth_never_reaches_redis(env, meanwhile=no_connection_got_through)
