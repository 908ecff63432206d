#!/usr/bin/env bash
# Run the AWS SAM CLI: the one on PATH when it is new enough, else a pinned one in .tools-venv (installed on
# first use).
#
#   scripts/sam-tools.sh build            # sam build (python3.13/arm64, no Docker)
#   scripts/sam-tools.sh validate --lint  # offline: no region, no credentials
#   scripts/sam-tools.sh --which          # print the sam that would run (installs nothing)
#
# SAM=/path/to/sam forces a binary. aws-sam-cli pins exact versions of boto3, click, cfn-lint and
# aws-sam-translator, so the pinned one gets its own venv rather than sharing .venv. `sam build` needs an
# interpreter named after the template's runtime (python3.13) on PATH: its directory is prepended here.
set -euo pipefail
SAM_CLI_VERSION="1.170.0"      # installed when no usable sam is found
MIN_SAM_CLI_VERSION="1.132.0"  # oldest accepted from PATH: python3.13 runtime and arm64 builds without Docker

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${TOOLS_VENV:-$root/.tools-venv}"
stamp="$venv/.aws-sam-cli-$SAM_CLI_VERSION"
py="$("$root/scripts/find-python.sh")"

version_of() { { "$1" --version 2>/dev/null || true; } | { grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' || true; } | head -1; }
new_enough() { [ -n "$1" ] && [ "$(printf '%s\n%s\n' "$MIN_SAM_CLI_VERSION" "$1" | sort -V | head -1)" = "$MIN_SAM_CLI_VERSION" ]; }

sam_bin="${SAM:-}"
if [ -z "$sam_bin" ] && command -v sam >/dev/null 2>&1; then
  found="$(command -v sam)"
  have="$(version_of "$found")"
  if new_enough "$have"; then
    sam_bin="$found"
  else
    echo "sam ${have:-of unknown version} at $found is older than $MIN_SAM_CLI_VERSION; using the pinned $SAM_CLI_VERSION" >&2
  fi
fi
if [ "${1:-}" = "--which" ]; then
  if [ -n "$sam_bin" ]; then echo "$sam_bin"; else
    echo "$venv/bin/sam"
    [ -f "$stamp" ] || echo "(aws-sam-cli==$SAM_CLI_VERSION is installed there on first use)" >&2
  fi
  exit 0
fi
if [ -z "$sam_bin" ]; then
  if [ ! -f "$stamp" ]; then
    echo "installing aws-sam-cli==$SAM_CLI_VERSION into $venv (one time, about a minute)" >&2
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "aws-sam-cli==$SAM_CLI_VERSION" 2>&1 \
      | grep -v '^WARNING: Location' >&2 || true
    "$venv/bin/sam" --version >/dev/null || { echo "aws-sam-cli install failed" >&2; exit 1; }
    touch "$stamp"
  fi
  sam_bin="$venv/bin/sam"
fi

export SAM_CLI_TELEMETRY=0
export PATH="$(dirname "$py"):$PATH"
cd "$root"
exec "$sam_bin" "$@"
