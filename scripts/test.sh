#!/usr/bin/env bash
# The whole test suite: installs missing Debian packages, builds and tests every module on JDK 25
# (mvn install), then runs the checks that need real KVM (scripts/hardware-kvm-check.sh): directly on a
# hardware-KVM host, elsewhere in the nested-KVM proving ground. JKTSTR_SKIP_KVM_CHECK=1 leaves those out.
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
mvn -B -ntp install "$@" || status=$?
# Every skipped test and why, grouped by reason: what this machine could not check.
"$here/skipped-tests.sh" --since "$marker" "$jktstr_root" || true
if [ "$status" = 0 ]; then
  # Linux on our own VMM: agent, topology, a sched_ext scenario, and the ratios against QEMU+KVM. They gate the suite.
  JKTSTR_KVM_CHECK_NO_BUILD=1 "$here/hardware-kvm-check.sh" "$jktstr_root/target/kvm-check" || {
    rc=$?
    if [ "$rc" = 2 ]; then
      echo "test: the real-KVM checks cannot run here (see above)"
    else
      echo "test: the real-KVM checks failed (logs in target/kvm-check)"; status=$rc
    fi
  }
fi
exit "$status"
