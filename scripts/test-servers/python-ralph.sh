#!/usr/bin/env bash
# The Python ralph 5.1.0 (PyPI `ralph-malph`), the reference of the differential tests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
venv=$STATE/venv-ralph
if [ ! -x "$venv/bin/ralph" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'ralph-malph[cli]==5.1.0'
fi
"$venv/bin/ralph" --version >/dev/null
echo "export RALPH_TEST_PYTHON_RALPH=$venv/bin/ralph"
