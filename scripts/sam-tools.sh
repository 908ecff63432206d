#!/usr/bin/env bash
# Run the AWS SAM CLI from its own tools venv (.tools-venv), installing it on first use.
#
#   scripts/sam-tools.sh build            # sam build (python3.13/arm64, no Docker)
#   scripts/sam-tools.sh validate --lint  # offline: no region, no credentials
#   scripts/sam-tools.sh --install        # only create/refresh .tools-venv, print the sam path
#
# aws-sam-cli pins exact versions of boto3, click, cfn-lint and aws-sam-translator, so it cannot share
# .venv with the app and test dependencies. `sam build` needs an interpreter named after the template's
# runtime (python3.13) on PATH: its directory is prepended here.
set -euo pipefail
SAM_CLI_VERSION="1.170.0"

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${TOOLS_VENV:-$root/.tools-venv}"
stamp="$venv/.aws-sam-cli-$SAM_CLI_VERSION"
py="$("$root/scripts/find-python.sh")"

if [ ! -f "$stamp" ]; then
  echo "installing aws-sam-cli==$SAM_CLI_VERSION into $venv (one time, about a minute)" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "aws-sam-cli==$SAM_CLI_VERSION" 2>&1 \
    | grep -v '^WARNING: Location' >&2 || true
  "$venv/bin/sam" --version >/dev/null || { echo "aws-sam-cli install failed" >&2; exit 1; }
  touch "$stamp"
fi

if [ "${1:-}" = "--install" ]; then
  echo "$venv/bin/sam"
  exit 0
fi

export SAM_CLI_TELEMETRY=0
export PATH="$(dirname "$py"):$PATH"
cd "$root"
exec "$venv/bin/sam" "$@"
