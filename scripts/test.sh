#!/usr/bin/env bash
# The whole test suite: installs missing Debian packages, then builds and tests every module on JDK 25.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh"
source "$here/env.sh"
cd "$jktstr_root"
echo "test: JDK $JAVA_HOME, kernel ${JKTSTR_KERNEL:-<none: boot tests will skip>}"
exec mvn -B -ntp verify "$@"
