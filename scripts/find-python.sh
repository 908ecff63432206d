#!/usr/bin/env bash
# Print the path of a Python 3.13 interpreter, or explain what is needed and exit 1.
# Order: $PYTHON, python3.13 on PATH, pyenv versions (pyenv root or ~/.pyenv), common prefixes.
set -u
want="3.13"

works() { [ -x "$1" ] && "$1" -c "import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)" 2>/dev/null; }

if [ -n "${PYTHON:-}" ]; then
  if works "$(command -v "$PYTHON" 2>/dev/null || echo "$PYTHON")"; then command -v "$PYTHON" 2>/dev/null || echo "$PYTHON"; exit 0; fi
  echo "PYTHON=$PYTHON is not a Python $want interpreter." >&2; exit 1
fi
candidates=()
p=$(command -v python3.13 2>/dev/null) && candidates+=("$p")
roots=()
command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root 2>/dev/null)")
roots+=("${PYENV_ROOT:-}" "$HOME/.pyenv" "/root/.pyenv" "/opt/pyenv")
for r in "${roots[@]}"; do
  [ -n "$r" ] && [ -d "$r/versions" ] || continue
  for v in $(ls -1 "$r/versions" 2>/dev/null | grep -E "^${want//./\\.}(\.[0-9]+)?$" | sort -t. -k3,3nr); do
    candidates+=("$r/versions/$v/bin/python$want")
  done
done
candidates+=(/usr/local/bin/python3.13 /usr/bin/python3.13 /opt/homebrew/bin/python3.13)
for c in "${candidates[@]}"; do
  if works "$c"; then echo "$c"; exit 0; fi
done
cat >&2 <<MSG
jira-port needs Python $want (the Lambda runtime is python3.13) and none was found.
Looked at: \$PYTHON, python3.13 on PATH, pyenv versions under ${roots[*]}, /usr/local/bin, /usr/bin.
Install it (e.g. 'pyenv install 3.13' or your OS package python3.13) or point to one: make test PYTHON=/path/to/python3.13
MSG
exit 1
