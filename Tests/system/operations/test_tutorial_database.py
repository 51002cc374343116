"""The auth service started on a database the tutorial (Sequelize) created, as a migrating deployment would.

Its users sign in with their bcrypt passwords and keep their roles, and each hash is upgraded to
argon2id at that signin; rows that become the same name after normalisation stop the auth service at
start, naming them, before anything is changed.
"""

from __future__ import annotations

import time
from typing import Callable

from support import config, ports, stores
from support.accounts import create_account, signin, unique_name
from support.processes import ManagedProcess
from support.system import System

#: bcrypt (cost 8) of "old-password" as the tutorial's bcryptjs writes it ($2a$): fixed test data.
OLD_PASSWORD = "old-password"
OLD_HASH = "$2a$08$V4lakQjbjBcW51Alj82FEu3tglUfL4w4t/SEwkEveaCTK5lnc6IYy"


def tutorial_database(username: str) -> str:
    """A new database with the tutorial's schema, its three roles and USERNAME as a moderator (bcrypt hash)."""
    url = stores.create_database(config.Environment.load().database_url, prefix="tutorial")
    stores.psql(url, f"""
        CREATE TABLE users (id SERIAL PRIMARY KEY, username VARCHAR(255), email VARCHAR(255), password VARCHAR(255),
            "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL);
        CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(255),
            "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL);
        CREATE TABLE user_roles ("createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL,
            "roleId" INTEGER REFERENCES roles (id) ON DELETE CASCADE ON UPDATE CASCADE,
            "userId" INTEGER REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE, PRIMARY KEY ("roleId", "userId"));
        INSERT INTO roles VALUES (1, 'user', now(), now()), (2, 'moderator', now(), now()), (3, 'admin', now(), now());
        INSERT INTO users (username, email, password, "createdAt", "updatedAt")
            VALUES ('{username}', '{username}@example.com', '{OLD_HASH}', now(), now());
        INSERT INTO user_roles SELECT now(), now(), 2, id FROM users WHERE username = '{username}';
    """)
    return url


def test_its_users_sign_in_with_their_bcrypt_passwords_keep_their_roles_and_move_to_argon2id(
    make_system: Callable[..., System],
) -> None:
    name = unique_name("tut")
    url = tutorial_database(name)
    system = make_system(database_url=url)
    client = system.http
    first = signin(client, name, OLD_PASSWORD)
    assert first.status == 200, first
    assert first.json()["roles"] == ["ROLE_MODERATOR"], first
    board = client.get("/api/test/mod", headers={"x-access-token": first.json()["accessToken"]})
    assert board.status == 200 and board.text == "Moderator Content.", board
    assert signin(client, name, "wrong-password", check=False).status == 401
    # After the upgrade the same password still works, now against argon2id.
    assert signin(client, name, OLD_PASSWORD).status == 200
    # New signups live beside the old rows and their SERIAL ids.
    create_account(client)
    stored = stores.psql(url, f"SELECT password FROM users WHERE username = '{name}'")
    assert stored.startswith("$argon2id$"), stored


def test_rows_the_same_after_normalisation_stop_the_auth_service_at_start_naming_them_and_change_nothing() -> None:
    url = tutorial_database("Straße")
    stores.psql(url, """INSERT INTO users (username, email, password, "createdAt", "updatedAt")
                        VALUES ('STRASSE', 'other@example.com', 'x', now(), now())""")
    environment = config.Environment.load()
    log = config.output_dir() / "systems" / f"tutorial-collision-{ports.free_port()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    auth = ManagedProcess("auth", [str(environment.bin_dir / "AuthService")], {
        "PATH": "/usr/bin:/bin", "SWIFT_BACKTRACE": "enable=no",
        "DATABASE_URL": url, "REDIS_URL": environment.redis_url, "JWT_PRIVATE_KEY_FILE": environment.jwt_private_key_file,
        "AUTH_PORT": str(ports.free_port()), "AUTH_METRICS_PORT": str(ports.free_port()),
    }, log)
    try:
        deadline = time.monotonic() + 30
        while auth.running and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not auth.running, f"the auth service still runs after 30 s: {auth.status_report()}"
    finally:
        auth.stop()
    assert auth.returncode == 1, auth.status_report()
    assert 'username "strasse": id 1 "Straße", id 2 "STRASSE"' in log.read_text(errors="replace"), auth.status_report()
    assert stores.psql(url, "SELECT string_agg(username, ',' ORDER BY id) FROM users") == "Straße,STRASSE"
    assert stores.psql(url, "SELECT count(*) FROM information_schema.columns "
                            "WHERE table_name = 'users' AND column_name = 'username_key'") == "0"
