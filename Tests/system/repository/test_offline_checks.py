"""The repository's own files pass the checks that need no running system.

Shell scripts pass shellcheck, Dockerfiles hadolint, the compose files the Compose Specification and
yamllint, the Kubernetes manifests render and validate against the Kubernetes schemas, and every
relative Markdown link lands on a file and heading that exist. The tools are pinned in
requirements.txt and run from the suite's venv; a missing tool fails the test, never skips it.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
#: The Kubernetes version whose schemas the manifests are validated against.
K8S_VERSION = "1.30.0"
COMPOSE_FILES = ["compose/compose.yaml", "compose/ha.yaml", "compose/observability.yaml"]


def tool(name: str) -> str:
    """The venv's copy of a PyPI tool of requirements.txt."""
    path = Path(sys.executable).parent / name
    assert path.exists(), f"{path} missing: the venv lacks a tool of Tests/system/requirements.txt"
    return str(path)


def run(*command: str, cwd: Path = REPO_ROOT) -> str:
    """Runs COMMAND; a non-zero exit fails the test with the tool's output."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(command[:3])} ... exited {result.returncode}:\n{result.stdout}{result.stderr}"
    return result.stdout


def repository_files(*patterns: str) -> list[str]:
    """Tracked and untracked, not ignored, files matching PATTERNS (git pathspecs), sorted."""
    out = run("git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *patterns)
    return sorted(set(out.splitlines()))


def is_shell_script(path: Path) -> bool:
    if path.suffix == ".sh":
        return True
    with path.open("rb") as file:
        return re.match(rb"#!.*\b(ba)?sh\b", file.readline()) is not None


def test_shell_scripts_pass_shellcheck() -> None:
    """Every shell script of scripts/, Benchmarks/, .ci/ and the images, all severities, sourced files followed."""
    scripts = [
        str(path.relative_to(REPO_ROOT))
        for folder in ("scripts", "Benchmarks", ".ci", "compose")
        for path in sorted((REPO_ROOT / folder).rglob("*"))
        if path.is_file() and is_shell_script(path)
    ]
    assert len(scripts) > 10, scripts
    run(tool("shellcheck"), "-x", "--source-path=SCRIPTDIR", f"--source-path={REPO_ROOT}", *scripts)


def test_dockerfiles_pass_hadolint() -> None:
    """Any finding, info and up, fails; an accepted one is ignored inline, with its reason."""
    dockerfiles = [name for name in repository_files("*Dockerfile", "*Dockerfile.*") if not name.endswith(".dockerignore")]
    assert dockerfiles, "no Dockerfile found"
    run(tool("hadolint"), "--failure-threshold", "info", *dockerfiles)


def test_compose_files_follow_the_compose_specification() -> None:
    run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", *COMPOSE_FILES)
    run(tool("yamllint"), "--strict", "-c", "deploy/.yamllint", *COMPOSE_FILES)


def test_kubernetes_manifests_render_and_validate() -> None:
    """The kustomize base and the production overlay, rendered with throwaway secret inputs (they are
    git-ignored) and every resource validated strictly. kubectl is not in Debian's archive: without it
    the files the kustomizations list are validated one by one, and the test says what went unchecked."""
    run(tool("yamllint"), "--strict", "-c", "deploy/.yamllint", "deploy")
    validate = [tool("kubernetes-validate"), "--strict", "--quiet", "-k", K8S_VERSION]
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("WARNING: kubectl not found: generated ConfigMap/Secrets, patches and name references unchecked")
        files = [
            str(kustomization.parent / entry)
            for kustomization in sorted((REPO_ROOT / "deploy/k8s").rglob("kustomization.yaml"))
            for entry in yaml.safe_load(kustomization.read_text()).get("resources", [])
            if (kustomization.parent / entry).is_file()
        ]
        assert files, "no resource files listed by the kustomizations"
        run(*validate, *files)
        return
    with tempfile.TemporaryDirectory() as work:
        deploy = Path(work) / "deploy"
        shutil.copytree(REPO_ROOT / "deploy", deploy)
        secrets = deploy / "k8s/base/secrets"
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(secrets / "jwt_private_key.pem"))
        (secrets / "mfa_encryption.key").write_bytes(base64.b64encode(os.urandom(32)) + b"\n")
        shutil.copy(secrets / "stores.env.example", secrets / "stores.env")
        for target in ("base", "overlays/production"):
            rendered = Path(work) / (target.replace("/", "-") + ".yaml")
            rendered.write_text(run(kubectl, "kustomize", str(deploy / "k8s" / target)))
            assert rendered.read_text().count("\nkind:") > 5, f"{target} rendered almost nothing"
            run(*validate, str(rendered))


def github_anchors(path: Path) -> set[str]:
    """The #fragments GitHub makes for PATH's headings: lower case, punctuation dropped, spaces as
    hyphens, -1, -2 for repeats; headings inside code fences do not count."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        fence ^= line.startswith("```")
        heading = None if fence else re.match(r"#{1,6} (.*)", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return found


def test_markdown_links_resolve() -> None:
    """Every relative link in a Markdown file names a file that exists and, with a #fragment, a heading of it."""
    broken = []
    sources = repository_files("*.md")
    for source in sources:
        text = re.sub(r"```.*?```|`[^`\n]*`", "", (REPO_ROOT / source).read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, fragment = target.partition("#")
            dest = (REPO_ROOT / source).parent / path if path else REPO_ROOT / source
            if not dest.exists() or (fragment and (dest.suffix != ".md" or fragment not in github_anchors(dest))):
                broken.append(f"{source}: {target}")
    assert len(sources) > 10, sources
    assert not broken, "broken links:\n" + "\n".join(broken)
