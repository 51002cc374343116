"""PostgreSQL over verified TLS: DATABASE_URL with sslmode=verify-full and sslrootcert.

The test makes its own CA, starts a PostgreSQL that takes TCP connections only over TLS (hostssl),
and checks that the auth service works through it with verify-full, that it refuses a server whose
certificate names another host (and starts only when told to check the chain alone, verify-ca), and
that the server really refuses plain connections, so the working case did use TLS.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from support.accounts import create_account
from support.certificates import ThrowawayCA
from support.stores import PrivatePostgres


#: A refused certificate stops the auth service well before the 20 s its first connection may take.
REFUSED_WITHIN = 12.0


def database_url(postgres: PrivatePostgres, host: str, **params: str) -> str:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"postgres://auth:{postgres.password}@{host}:{postgres.port}/auth?{query}"


@pytest.fixture
def pki(tmp_path):
    return ThrowawayCA(tmp_path / "pki")


def test_verify_full_works_against_a_server_whose_certificate_names_the_host(pki, make_system):
    server = pki.issue("postgres-server", dns=["localhost"], ips=["127.0.0.1"])
    postgres = PrivatePostgres(tls=(server.certificate, server.key))
    try:
        plain = subprocess.run(["psql", database_url(postgres, "127.0.0.1", sslmode="disable"), "-c", "SELECT 1"],
                               capture_output=True, text=True, timeout=30)
        assert plain.returncode != 0 and "no encryption" in plain.stderr, plain.stderr
        for host in ("localhost", "127.0.0.1"):
            url = database_url(postgres, host, sslmode="verify-full", sslrootcert=str(pki.certificate))
            system = make_system(env={"DATABASE_URL": url}, database_url=url)
            account = create_account(system.http)
            assert system.http.get("/api/auth/me", headers=account.headers()).status == 200
            counts = postgres.psql("SELECT count(*) FILTER (WHERE ssl), count(*) FILTER (WHERE NOT ssl) FROM pg_stat_ssl "
                                   "JOIN pg_stat_activity USING (pid) WHERE datname = 'auth' AND usename = 'auth'")
            encrypted, plain_count = (int(value) for value in counts.split("|"))
            assert encrypted >= 1 and plain_count == 0, counts
            system.stop()
    finally:
        postgres.stop()


def test_verify_full_refuses_a_certificate_for_another_host_and_verify_ca_accepts_it(pki, make_system):
    server = pki.issue("postgres-elsewhere", dns=["db.example.test"])
    postgres = PrivatePostgres(tls=(server.certificate, server.key))
    try:
        refused = database_url(postgres, "localhost", sslmode="verify-full", sslrootcert=str(pki.certificate))
        # It exits at start, at once (no retry mends a certificate), and says why.
        started = time.monotonic()
        with pytest.raises(AssertionError, match=r"(?s)exited during start.*failedToValidateHostname: Couldn't find localhost"):
            make_system(env={"DATABASE_URL": refused}, database_url=refused)
        assert time.monotonic() - started < REFUSED_WITHIN
        chain_only = database_url(postgres, "localhost", sslmode="verify-ca", sslrootcert=str(pki.certificate))
        system = make_system(env={"DATABASE_URL": chain_only}, database_url=chain_only)
        assert create_account(system.http).roles == ["ROLE_USER"]
    finally:
        postgres.stop()


def test_require_refuses_a_certificate_from_another_ca(pki, tmp_path, make_system):
    server = pki.issue("postgres-server", dns=["localhost"], ips=["127.0.0.1"])
    postgres = PrivatePostgres(tls=(server.certificate, server.key))
    other = ThrowawayCA(tmp_path / "other", name="other CA")
    try:
        url = database_url(postgres, "localhost", sslmode="require", sslrootcert=str(other.certificate))
        started = time.monotonic()
        with pytest.raises(AssertionError, match=r"(?s)exited during start.*CERTIFICATE_VERIFY_FAILED"):
            make_system(env={"DATABASE_URL": url}, database_url=url)
        assert time.monotonic() - started < REFUSED_WITHIN
    finally:
        postgres.stop()


def test_require_refuses_a_server_without_tls(private_postgres, make_system):
    url = database_url(private_postgres, "127.0.0.1", sslmode="require")
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"(?s)exited during start.*TLS to PostgreSQL failed: sslUnsupported"):
        make_system(env={"DATABASE_URL": url}, database_url=url)
    assert time.monotonic() - started < REFUSED_WITHIN
