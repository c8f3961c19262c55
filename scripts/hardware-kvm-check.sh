#!/usr/bin/env bash
# The checks that need real KVM, in one go: the guest agent over our VMM's virtio console answers as over
# QEMU's (AgentOnBothBackendsTest), the guest's /sys shows the requested topology as under QEMU
# (KvmTopologyTest), `jktstr run steady --backend kvm --scheduler scx_simple` passes (KvmScenarioTest), and
# our VMM against QEMU+KVM: boot to READY and agent PING, alternating (benchmarks/run.sh agent-kvm-vs-qemu).
#
# With hardware KVM (vmx/svm, not PVM) they run here. Elsewhere (no /dev/kvm, or PVM) they run in the
# nested-KVM proving ground (`jktstr nested-kvm`: an L1 Linux under QEMU's TCG with a real /dev/kvm, the
# host's / over 9p): slow, for correctness; the ratios then compare both VMMs on the same emulated CPU.
# The build happens here, first. Logs go to ${1:-target/kvm-check}/. Exit 0 only when every check passed
# and none of the tests skipped; 2 when the checks cannot run here. JKTSTR_SKIP_KVM_CHECK=1 skips it all.
set -uo pipefail
source "$(cd "$(dirname "$0")" && pwd)/env.sh"
cd "$jktstr_root"
out=${1:-target/kvm-check}
mkdir -p "$out" && out=$(cd "$out" && pwd)
if [ "${JKTSTR_SKIP_KVM_CHECK:-}" = 1 ]; then
  echo "kvm-check: skipped (JKTSTR_SKIP_KVM_CHECK=1)"
  exit 0
fi

hardware_kvm() { grep -qE '\b(vmx|svm)\b' /proc/cpuinfo && [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; }
tests=AgentOnBothBackendsTest,KvmTopologyTest,KvmScenarioTest

if [ "${JKTSTR_KVM_CHECK_INSIDE:-}" != 1 ]; then
  echo "host: $(uname -r), $(nproc) CPUs, $(grep -cE '\b(vmx|svm)\b' /proc/cpuinfo) with vmx/svm;" \
    "$(ls /sys/module 2>/dev/null | grep -E '^kvm' | tr '\n' ' ')" | tee "$out/host.txt"
  if [ "${JKTSTR_KVM_CHECK_NO_BUILD:-}" != 1 ]; then
    echo "kvm-check: building (mvn install -DskipTests)"
    mvn -B -q -ntp install -DskipTests >"$out/build.log" 2>&1 || { echo "kvm-check: build failed (see $out/build.log)"; exit 1; }
  fi
  (cd benchmarks && [ -f target/benchmarks.jar ]) || (mvn -B -q -ntp -o -DskipTests -pl benchmarks package >>"$out/build.log" 2>&1)
  if hardware_kvm; then
    echo "kvm-check: hardware KVM here; running the checks directly"
  else
    echo "kvm-check: no hardware KVM here; running the checks in the nested-KVM proving ground (slow: TCG underneath)"
    start=$(date +%s)
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar cli/target/jktstr.jar nested-kvm \
      --timeout "${JKTSTR_KVM_CHECK_TIMEOUT:-2400}" -- \
      "JKTSTR_KVM_CHECK_INSIDE=1 scripts/hardware-kvm-check.sh '$out'" 2>&1 | tee "$out/nested.log" \
      | grep -E '^(==|   |kvm-check|summary|nested-kvm|round|boot to|agent PING|direct vmlinux)'
    rc=${PIPESTATUS[0]}
    echo "kvm-check: proving ground finished in $(( $(date +%s) - start )) s, exit $rc (console in $out/nested.log)"
    exit "$rc"
  fi
fi

status=0
step() {
  local name=$1; shift
  echo "== $name"
  local t0=$(date +%s)
  if "$@" >"$out/$name.log" 2>&1; then echo "   ok ($(( $(date +%s) - t0 )) s)"; else echo "   FAILED ($(( $(date +%s) - t0 )) s, see $out/$name.log)"; status=1; fi
  grep -vE '^\[|WARNING|^$' "$out/$name.log" | tail -4 | sed 's/^/   /'
}
ran_all_tests() {
  # A check that skipped proves nothing: every test of each class must have run.
  local missing=0
  for t in ${tests//,/ }; do
    local report=cli/target/surefire-reports/TEST-dev.jktstr.cli.$t.xml
    if [ ! -f "$report" ] || ! grep -q 'skipped="0"' "$report" || ! grep -q 'failures="0"' "$report" || ! grep -q 'errors="0"' "$report"; then
      echo "$t: did not run and pass every test (see $report)"; missing=1
    fi
  done
  return $missing
}
echo "kvm-check: $(uname -r) with /dev/kvm ($(grep -cE '\b(vmx|svm)\b' /proc/cpuinfo) CPUs with vmx/svm)"
step kvm-linux mvn -B -ntp -o -pl cli surefire:test "-Dtest=$tests" -Dsurefire.failIfNoSpecifiedTests=false \
  -Dsurefire.timeout=1800 -Djunit.jupiter.execution.timeout.default=15m
step kvm-linux-ran-all ran_all_tests
step kvm-vs-qemu benchmarks/run.sh agent-kvm-vs-qemu "${JKTSTR_KVM_CHECK_ROUNDS:-3}" 500
echo "summary: $([ $status = 0 ] && echo 'all passed' || echo 'some failed') — logs in $out/"
exit $status
