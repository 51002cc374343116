#!/usr/bin/python3
"""A real SMTP server that keeps what it receives: for `make run`, `make test` and compose.

Runs Debian's aiosmtpd (python3-aiosmtpd; run it with /usr/bin/python3, which has it). Every message
it accepts is written to DIR as NNNNNN-<time>.eml (written whole, then renamed, so a reader never sees
half a message) and announced with one line on stdout: recipient, subject and the first link in its
text part, so a newcomer can click through a reset from the run log.

    /usr/bin/python3 compose/images/mail/mailcatcher.py --port 2525 --dir .local/mail

Options for tests: --tls-cert/--tls-key (STARTTLS, or --implicit-tls for smtps), --auth USER:PASSWORD
(AUTH PLAIN and LOGIN, also without TLS), --reject REGEX (recipients answered 550), --delay SECONDS
(each message answered that much later: a slow server), --json (log lines as JSON objects). SIGTERM or
SIGINT stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import os
import re
import signal
import ssl
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

LINK = re.compile(r"https?://\S+")


def summary(raw: bytes) -> tuple[str, str]:
    """(subject, first link of the text part) of a message."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = str(message.get("Subject", ""))
    link = ""
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        found = LINK.search(part.get_content())
        link = found.group(0) if found else ""
    return subject, link


class Keeper:
    """The aiosmtpd handler: refuses what --reject names, keeps the rest."""

    def __init__(self, folder: Path, reject: re.Pattern[str] | None, as_json: bool, delay: float = 0.0) -> None:
        self.folder = folder
        self.reject = reject
        self.as_json = as_json
        self.delay = delay
        self.lock = threading.Lock()
        existing = [int(p.name.split("-")[0]) for p in folder.glob("*.eml") if p.name.split("-")[0].isdigit()]
        self.sequence = max(existing, default=0)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if self.reject is not None and self.reject.search(address):
            return "550 5.1.1 Recipient refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = envelope.original_content or envelope.content
        with self.lock:
            self.sequence += 1
            name = f"{self.sequence:06d}-{time.strftime('%Y%m%d-%H%M%S')}.eml"
            temporary = self.folder / ("." + name + ".tmp")
            temporary.write_bytes(raw)
            os.replace(temporary, self.folder / name)
        subject, link = summary(raw)
        recipients = ", ".join(envelope.rcpt_tos)
        if self.as_json:
            line = json.dumps({"mail": name, "to": envelope.rcpt_tos, "from": envelope.mail_from, "subject": subject, "link": link})
        else:
            line = f"mail to {recipients}: {subject}" + (f" {link}" if link else "") + f" ({self.folder / name})"
        print(line, flush=True)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 Message accepted"


def authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False)

    return check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth", help="USER:PASSWORD required to send")
    parser.add_argument("--reject", help="recipients matching this regex get 550")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each message is answered")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    handler = Keeper(args.dir, re.compile(args.reject) if args.reject else None, args.json, args.delay)
    options: dict = {"hostname": args.host, "port": args.port, "ready_timeout": 10}
    server_options: dict = {"data_size_limit": 10 * 1024 * 1024}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.implicit_tls:
            options["ssl_context"] = context
        else:
            options["tls_context"] = context
    if args.auth:
        user, _, password = args.auth.partition(":")
        options["authenticator"] = authenticator(user, password)
        options["auth_required"] = True
        options["auth_require_tls"] = False
    controller = Controller(handler, server_kwargs=server_options, **options)
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    controller.start()
    kind = "smtps" if args.implicit_tls else "smtp"
    print(f"mail catcher listening on {kind}://{args.host}:{args.port}, keeping mail in {args.dir}", flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
