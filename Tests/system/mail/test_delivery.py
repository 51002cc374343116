"""The outbox: no mail lost and none sent twice when the SMTP server is down for a while, when an auth
replica is killed in the middle of a session, or when several replicas share the outbox; a mail the
server refuses for good shows in the audit trail; STARTTLS, implicit TLS and AUTH against a real server."""

from __future__ import annotations

import collections
import signal
import subprocess
import time
from pathlib import Path

import requests

from frontends.restart import start_replacement, wait_ready
from support import config, ports
from support.accounts import admin
from support.mail import MailCatcher, catcher_for
from support.processes import ManagedProcess, wait_until
from support.system import System

from .conftest import forgot, new_user, reset_mail


def message_ids(catcher: MailCatcher, subject: str = "Reset your password") -> collections.Counter:
    """How often each reset mail (by its Message-ID) arrived: signup's verification mails are left out."""
    return collections.Counter(str(mail.message["Message-ID"]) for mail in catcher.mails() if mail.subject == subject)


def test_mail_queued_while_the_smtp_server_is_down_goes_out_once_it_is_back(make_mail_system) -> None:
    catcher = catcher_for("outage")
    try:
        system = make_mail_system(mail=catcher)
        _, email = new_user(system.http)
        catcher.stop()
        forgot(system.http, email)
        time.sleep(3)  # several failed attempts (MAIL_RETRY_DELAY 0.5 s, doubling up to 2 s)
        assert catcher.matching(to=email) == []
        catcher.start()
        reset_mail(system, email)
        time.sleep(2.5)  # a second copy would have come by now
        assert max(message_ids(catcher).values()) == 1, message_ids(catcher)
    finally:
        catcher.stop()


def test_a_replica_killed_mid_session_loses_no_mail_and_the_next_sends_it_once(make_mail_system) -> None:
    """The SMTP server is frozen (SIGSTOP) so the auth service is stuck inside its session when it is
    killed; the mail stays claimed until its lease ends, then the restarted service sends it, once."""
    catcher = catcher_for("killed")
    try:
        system = make_mail_system(mail=catcher, env={"MAIL_LEASE": "4"})
        _, email = new_user(system.http)
        catcher.process.signal(signal.SIGSTOP)
        forgot(system.http, email)
        time.sleep(1.0)  # the worker has claimed it and connected
        system.auth.signal(signal.SIGKILL)
        assert wait_until(lambda: not system.auth.running, 5)
        system.auth.stopped = True  # killed on purpose: not a crash
        catcher.process.signal(signal.SIGCONT)
        replacement = start_replacement(system, system.auth, system.env)
        wait_ready(system, replacement)
        reset_mail(system, email)
        time.sleep(2)
        assert list(message_ids(catcher).values()) == [1], message_ids(catcher)
    finally:
        catcher.stop()


def test_replicas_share_the_outbox_without_sending_a_mail_twice(make_mail_system) -> None:
    # A server that takes 0.3 s a message keeps the first replica busy with its batch of three long
    # enough for the other to poll: without it one replica could drain all twelve first (seen once).
    catcher = catcher_for("replicas", ["--delay", "0.3"])
    try:
        system = make_mail_system(mail=catcher, env={"MAIL_BATCH_SIZE": "3"})
        second_env = dict(system.env, AUTH_PORT=str(ports.free_port()), AUTH_METRICS_PORT=str(ports.free_port()))
        second = ManagedProcess("auth2", [system.auth.argv[0]], second_env, system.log_dir / "auth2.log")
        try:
            assert wait_until(lambda: healthy(second_env["AUTH_PORT"]) or not second.running, 60)
            addresses = [new_user(system.http)[1] for _ in range(12)]
            catcher.stop()  # queue them all, then let both replicas race for them
            for address in addresses:
                forgot(system.http, address)
            catcher.start()
            for address in addresses:
                reset_mail(system, address)
            time.sleep(2)
            counts = message_ids(catcher)
            assert len(counts) == len(addresses) and max(counts.values()) == 1, counts
            assert second.running, second.status_report()
            both = [log for log in (system.auth.log_file, second.log_file) if "Mail sent" in Path(log).read_text()]
            assert len(both) == 2, "one replica sent everything: the race was not run"
        finally:
            second.stop()
    finally:
        catcher.stop()


def test_a_mail_refused_for_good_is_given_up_and_shown_to_an_admin(make_mail_system) -> None:
    catcher = catcher_for("refused", ["--reject", "^refused-"])
    try:
        system = make_mail_system(mail=catcher)
        _, email = new_user(system.http, email=f"refused-{time.time_ns()}@example.com")
        forgot(system.http, email)
        root = admin(system.http)
        events: list = []

        def reported() -> bool:
            events[:] = system.http.get("/api/admin/audit", params={"type": "mail_failed"}, headers=root.headers()).json()["events"]
            return any(event["details"].get("kind") == "password_reset" for event in events)

        assert wait_until(reported, 15, 0.2), events
        event = next(event for event in events if event["details"]["kind"] == "password_reset")
        assert event["details"]["attempts"] == 1 and "550" in event["details"]["error"]
        assert catcher.matching(to=email) == []
    finally:
        catcher.stop()


def healthy(port: str) -> bool:
    """The auth replica on PORT answers /health/ready."""
    try:
        return requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for localhost signed by it: (ca, cert, key)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (folder / name for name in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    run = lambda *args: subprocess.run(args, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(ca_key),
        "-out", str(ca), "-days", "2", "-subj", "/CN=test mail CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(csr),
        "-subj", "/CN=localhost")
    extensions = folder / "san.cnf"
    extensions.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
        "-days", "2", "-extfile", str(extensions))
    return ca, cert, key


def test_starttls_and_auth_then_implicit_tls(make_mail_system) -> None:
    ca, cert, key = tls_files(config.output_dir() / "mail" / f"tls-{time.time_ns()}")
    tls = ["--tls-cert", str(cert), "--tls-key", str(key), "--auth", "mailer:s3cret"]
    for extra, scheme, query in ((tls, "smtp", "?starttls=required"), (tls + ["--implicit-tls"], "smtps", "")):
        catcher = catcher_for(scheme, extra)
        try:
            url = f"{scheme}://mailer:s3cret@localhost:{catcher.port}{query}"
            system = make_mail_system(mail=catcher, env={"SMTP_URL": url, "SMTP_CA_FILE": str(ca)})
            _, email = new_user(system.http)
            forgot(system.http, email)
            assert reset_mail(system, email).token
            log = Path(system.auth.log_file).read_text()
            assert "s3cret" not in log
        finally:
            catcher.stop()


def test_a_server_whose_certificate_is_not_trusted_gets_no_mail(make_mail_system) -> None:
    ca, cert, key = tls_files(config.output_dir() / "mail" / f"untrusted-{time.time_ns()}")
    catcher = catcher_for("untrusted", ["--tls-cert", str(cert), "--tls-key", str(key)])
    try:
        system = make_mail_system(mail=catcher, env={"SMTP_URL": f"smtp://localhost:{catcher.port}?starttls=required"})
        _, email = new_user(system.http)
        forgot(system.http, email)
        time.sleep(2)
        assert catcher.matching(to=email) == []
        assert "Mail not delivered" in Path(system.auth.log_file).read_text()
    finally:
        catcher.stop()
