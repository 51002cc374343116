"""``ComposeStack``: the compose stack scripts/compose-test.sh started, for the suite that acts on its
containers (Tests/system/compose): killing replicas under load, adding compose/ha.yaml and
compose/observability.yaml, killing the Redis master.

    SYSTEM_TEST_COMPOSE='docker-compose -f compose/compose.yaml -p authtest'   # how to reach it
    SYSTEM_TEST_GATEWAY_URL=http://127.0.0.1:8080                               # its published gateway

Its tests run only when SYSTEM_TEST_COMPOSE is set; otherwise ``support.fixtures`` deselects them.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

from .external import ExternalGateway
from .processes import wait_until

REPO_ROOT = Path(__file__).resolve().parents[3]


class ComposeStack(ExternalGateway):
    def __init__(self, command: str, url: str) -> None:
        super().__init__(url, name="compose")
        self.command = shlex.split(command)
        self.docker_command = os.environ.get("DOCKER", "/usr/bin/docker")
        #: Where observability.yaml's Prometheus is published, once a test added it.
        self.prometheus_url = ""

    def compose(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Runs docker-compose on the stack; its standard output. Fails the test on a non-zero exit."""
        result = subprocess.run([*self.command, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
                                cwd=REPO_ROOT, timeout=300)
        assert result.returncode == 0, f"{shlex.join(args)}: {result.stderr[-2000:]}"
        return result.stdout

    def docker(self, *args: str) -> str:
        result = subprocess.run([self.docker_command, *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"docker {shlex.join(args)}: {result.stderr[-2000:]}"
        return result.stdout

    def containers(self, service: str) -> list[str]:
        """The ids of SERVICE's containers, in the order compose lists them."""
        return self.compose("ps", "-q", service).split()

    def add_files(self, *files: str, env: dict[str, str] | None = None) -> None:
        """Brings the stack up again with FILES (paths from the repository root) added to its own."""
        for file in files:
            self.command[1:1] = ["-f", str(REPO_ROOT / file)]
        self.compose("up", "-d", "--no-build", env=env)
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 120.0) -> None:
        """Until every container runs and reports healthy, and the gateway is ready again."""
        states: list[str] = []

        def healthy() -> bool:
            ids = self.compose("ps", "-q").split()
            shown = "{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}"
            states[:] = self.docker("inspect", "-f", shown, *ids).splitlines()
            return all(state.endswith(" running healthy") for state in states)

        assert wait_until(healthy, timeout, 1.0), f"not healthy after {timeout} s: {states}"
        deadline = time.monotonic() + 60
        while True:
            try:
                self.assert_all_live()
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def restore(self, container: str) -> None:
        """CONTAINER started again if what a test did left it stopped; then everything healthy."""
        if self.docker("inspect", "-f", "{{.State.Running}}", container).strip() != "true":
            self.docker("start", container)
        self.wait_healthy()
