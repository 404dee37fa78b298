#!/usr/bin/env bash
# websocketd (Debian): the tests of the `ws` backend start it themselves, on free ports of
# 127.0.0.1, each with the program it needs (`cat FILE`, a shell loop); this installs it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_apt websocketd
echo "export RALPH_TEST_WEBSOCKETD=$(command -v websocketd)"
