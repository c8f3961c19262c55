#!/usr/bin/env bash
# The checks that need hardware KVM (vmx/svm), which the development machines (PVM) cannot run, in one go:
# the guest agent over our VMM's virtio console against QEMU (AgentOnBothBackendsTest), boot to init on our
# VMM (target <= 150 ms), agent PING ours vs QEMU+KVM (target ratio < 1), virtio throughput from a test guest.
# Prints each result and a summary; writes everything to ${1:-jktstr-hw-check}/. Exit 0 only when all passed.
# After a pass, KvmBackend.RANK_HARDWARE can become 40 (our VMM first on hardware KVM).
set -uo pipefail
source "$(cd "$(dirname "$0")" && pwd)/env.sh"
out=${1:-jktstr-hw-check}
mkdir -p "$out"
echo "host: $(uname -r), $(nproc) CPUs, $(grep -cE 'vmx|svm' /proc/cpuinfo) with vmx/svm; $(ls /sys/module 2>/dev/null | grep -E '^kvm' | tr '\n' ' ')" | tee "$out/host.txt"
if ! grep -qE 'vmx|svm' /proc/cpuinfo || [ -d /sys/module/kvm_pvm ]; then
  echo "not hardware KVM (no vmx/svm, or kvm_pvm loaded): nothing to check here" | tee -a "$out/host.txt"
  exit 2
fi
status=0
step() {
  local name=$1; shift
  echo "== $name"
  if "$@" >"$out/$name.log" 2>&1; then echo "   ok"; else echo "   FAILED (see $out/$name.log)"; status=1; fi
  grep -vE '^\[|WARNING' "$out/$name.log" | tail -4 | sed 's/^/   /'
}
cd "$jktstr_root"
step build mvn -B -q -ntp install -DskipTests
step agent-on-both mvn -B -ntp -pl cli surefire:test -Dtest=AgentOnBothBackendsTest -Dsurefire.failIfNoSpecifiedTests=false
step kvm-boot benchmarks/run.sh kvm-boot 10
step agent-kvm-vs-qemu benchmarks/run.sh agent-kvm-vs-qemu 2000
step virtio-guest benchmarks/run.sh virtio-guest
echo "summary: $([ $status = 0 ] && echo 'all passed' || echo 'some failed') — logs in $out/"
exit $status
