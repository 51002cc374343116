"""Free loopback ports inside SYSTEM_TEST_PORTS, never handed out twice in one run."""

from __future__ import annotations

import random
import socket
import threading

from . import config

_claimed: set[int] = set()
_lock = threading.Lock()
_random = random.Random()  # port choice only; seeded by the OS so parallel runs spread out


def bindable(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:PORT right now (a bind succeeds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port of SYSTEM_TEST_PORTS that is free now and that no other caller of this run was given.

    Random rather than sequential, so that two runs sharing a range rarely race for one port.
    """
    ports = config.port_range()
    for _ in range(500):
        candidate = _random.choice(ports)
        with _lock:
            if candidate in _claimed:
                continue
            _claimed.add(candidate)
        if bindable(candidate):
            return candidate
    raise RuntimeError(f"no free port in SYSTEM_TEST_PORTS {ports.start}-{ports.stop - 1}")
