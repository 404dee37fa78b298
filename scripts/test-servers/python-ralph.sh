#!/usr/bin/env bash
# The Python ralph 5.1.0 (PyPI `ralph-malph`), the reference of the differential tests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
venv=$STATE/venv-ralph
# `lrs` brings uvicorn: the tests of the `lrs` backend run `ralph runserver` on a fresh directory.
if [ ! -x "$venv/bin/ralph" ] || [ ! -x "$venv/bin/uvicorn" ] || ! "$venv/bin/python" -c 'import requests' 2>/dev/null; then
  [ -d "$venv" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'ralph-malph[cli,lrs]==5.1.0' requests
fi
"$venv/bin/ralph" --version >/dev/null
echo "export RALPH_TEST_PYTHON_RALPH=$venv/bin/ralph"
