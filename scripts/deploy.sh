#!/usr/bin/env bash
# sam build, then sam deploy. The first deploy (no samconfig.local.toml yet) is guided: sam asks for the stack
# name, region and parameters and saves the answers to samconfig.local.toml (git-ignored, personal); later
# deploys reuse them. Extra arguments go to `sam deploy` (e.g. --parameter-overrides, --no-confirm-changeset).
#
#   scripts/deploy.sh                 # what `make deploy` runs
#   scripts/deploy.sh --print-only    # say what would run (`make deploy --dry-run`)
#   SAMCONFIG=other.toml scripts/deploy.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
config="${SAMCONFIG:-samconfig.local.toml}"
cd "$root"

if [ "${1:-}" = "--print-only" ]; then
  shift
  sam="$("$root/scripts/sam-tools.sh" --which)"
  echo "$sam build"
  if [ -f "$config" ]; then
    echo "$sam deploy --config-file $config $*"
  else
    echo "cp samconfig.toml $config"
    echo "$sam deploy --guided --config-file $config $*   # first deploy: guided"
  fi
  exit 0
fi

"$root/scripts/sam-tools.sh" build
if [ ! -f "$config" ]; then
  echo "first deploy: guided; your answers are saved to $config (git-ignored)" >&2
  cp samconfig.toml "$config"  # start from the shared defaults (stack name, capabilities, resolve_s3)
  exec "$root/scripts/sam-tools.sh" deploy --guided --config-file "$config" "$@"
fi
exec "$root/scripts/sam-tools.sh" deploy --config-file "$config" "$@"
