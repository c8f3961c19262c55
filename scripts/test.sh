#!/usr/bin/env bash
# The whole test suite: installs missing Debian packages, then builds and tests every module on JDK 25.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh"
source "$here/env.sh"
cd "$jktstr_root"
echo "test: JDK $JAVA_HOME, kernel ${JKTSTR_KERNEL:-<none: boot tests will skip>}"
# Marks the start, so the summary below reads only this run's surefire reports.
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
status=0
mvn -B -ntp verify "$@" || status=$?
# Every skipped test and why, grouped by reason: what this machine could not check.
"$here/skipped-tests.sh" --since "$marker" "$jktstr_root" || true
exit "$status"
