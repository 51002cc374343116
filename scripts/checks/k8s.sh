#!/usr/bin/env bash
# Offline check of deploy/k8s: yamllint on every file, then the kustomize base
# and the production overlay rendered (`kubectl kustomize`, built into
# kubectl) and every rendered resource validated against the Kubernetes
# OpenAPI schemas (kubernetes-validate --strict, bundled schemas, no cluster).
#
# Rendering needs the git-ignored secret inputs: a copy of deploy/ gets a
# throwaway key and the example stores.env. Without kubectl (not in Debian's
# archive; this machine image ships it), the manifest files that the
# kustomizations list as resources are validated one by one instead, and the
# generated ConfigMap/Secrets, patches and name references go unchecked: a
# warning says so.
# Installs its PyPI tools when missing. Exits non-zero on a finding.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO_ROOT"
K8S_VERSION="${K8S_VALIDATE_VERSION:-1.30.0}"

pip_tool() {
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "k8s.sh: installing $2 from PyPI" >&2
    python3 -m pip install --quiet --disable-pip-version-check "$2"
    hash -r
    command -v "$1" >/dev/null 2>&1 || { echo "k8s.sh: $1 not on PATH after installing $2" >&2; exit 1; }
}

pip_tool yamllint 'yamllint==1.38.0'
pip_tool kubernetes-validate 'kubernetes-validate==1.37.0'

yamllint --strict -c deploy/.yamllint deploy

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
    cp -r deploy "$work/"
    secrets="$work/deploy/k8s/base/secrets"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$secrets/jwt_private_key.pem" 2>/dev/null
    openssl rand -base64 32 >"$secrets/mfa_encryption.key"
    cp "$secrets/stores.env.example" "$secrets/stores.env"
    for target in base overlays/production; do
        out="$work/$(tr / - <<<"$target").yaml"
        kubectl kustomize "$work/deploy/k8s/$target" >"$out"
        kubernetes-validate --strict --quiet -k "$K8S_VERSION" "$out"
        echo "k8s.sh: $target rendered, $(grep -c '^kind:' "$out") resources valid"
    done
else
    echo "k8s.sh: WARNING: kubectl not found: kustomize output NOT rendered," \
        "validating the listed resource files one by one" >&2
    # The files each kustomization lists under `resources:` are complete
    # manifests; patches are partial and skipped.
    lister='
import pathlib, yaml
for kustomization in sorted(pathlib.Path("deploy/k8s").rglob("kustomization.yaml")):
    for entry in yaml.safe_load(kustomization.read_text()).get("resources", []):
        path = kustomization.parent / entry
        if path.is_file():
            print(path)
'
    # yamllint's own dependency, so PyYAML is there.
    mapfile -t files < <(python3 -c "$lister")
    ((${#files[@]} > 0)) || { echo "k8s.sh: no resource files found" >&2; exit 1; }
    kubernetes-validate --strict --quiet -k "$K8S_VERSION" "${files[@]}"
    echo "k8s.sh: ${#files[@]} resource files valid"
fi
echo "k8s.sh: deploy/k8s OK"
