#!/usr/bin/env bash
# Offline check: every relative link in the repository's Markdown files names a file that exists and,
# with a #fragment, a heading of that file (GitHub's anchors: lower case, punctuation dropped, spaces
# as hyphens, -1, -2 for repeats). Exits non-zero on a finding.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO_ROOT"

mapfile -t files < <(git ls-files -co --exclude-standard '*.md')
python3 - "${files[@]}" <<'EOF'
import os, re, sys
def anchors(path):
    found, seen, fence = set(), {}, False
    for line in open(path, encoding="utf-8"):
        fence ^= line.startswith("```")
        heading = None if fence else re.match(r"#{1,6} (.*)", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return found
files = sys.argv[1:]
broken = 0
for source in files:
    text = re.sub(r"```.*?```|`[^`\n]*`", "", open(source, encoding="utf-8").read(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(source), path)) if path else source
        if not os.path.exists(dest) or (fragment and (not dest.endswith(".md") or fragment not in anchors(dest))):
            print(f"docs-links.sh: {source}: broken link {target}")
            broken += 1
print(f"docs-links.sh: {len(files)} Markdown files, {broken} broken links")
sys.exit(1 if broken else 0)
EOF
