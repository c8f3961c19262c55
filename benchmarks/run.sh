#!/usr/bin/env bash
# Runs one named benchmark and prints its ratio against the peer measured in the same run.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/../scripts/env.sh"
jar="$jktstr_root/benchmarks/target/benchmarks.jar"
if [ ! -f "$jar" ] || [ "${JKTSTR_REBUILD:-}" = 1 ]; then
  (cd "$jktstr_root" && mvn -B -q -ntp -DskipTests -pl benchmarks -am package)
fi
java=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$jar")
case "${1:-}" in
  ioctl) "${java[@]}" dev.jktstr.benchmarks.IoctlRatio ;;
  btf) "${java[@]}" -Djktstr.cli.jar="$jktstr_root/cli/target/jktstr.jar" dev.jktstr.benchmarks.BtfBenchmark ;;
  cli) "${java[@]}" -Djktstr.cli.jar="$jktstr_root/cli/target/jktstr.jar" dev.jktstr.benchmarks.CliStartRatio "${2:-10}" ;;
  zstd) "${java[@]}" "-Djktstr.repo.root=$jktstr_root" dev.jktstr.benchmarks.ZstdDecodeRatio "${@:2}" ;;
  agent-ping) "${java[@]}" dev.jktstr.benchmarks.AgentPingRatio ;;
  boot) "${java[@]}" "-Djktstr.repo.root=$jktstr_root" dev.jktstr.benchmarks.BootVsQemu "${@:2}" ;;
  kvm-start) "${java[@]}" dev.jktstr.benchmarks.KvmStartLatency "${@:2}" ;;
  kvm-pio) "${java[@]}" dev.jktstr.benchmarks.KvmPioRatio "${@:2}" ;;
  kvm-boot) "${java[@]}" "-Djktstr.repo.root=$jktstr_root" dev.jktstr.benchmarks.KvmBootToInit "${@:2}" ;;
  snapshot) "${java[@]}" dev.jktstr.benchmarks.SnapshotRatio "${@:2}" ;;
  introspect) "${java[@]}" "-Djktstr.repo.root=$jktstr_root" dev.jktstr.benchmarks.IntrospectionSnapshot "${@:2}" ;;
  agent-kvm-vs-qemu) "${java[@]}" "-Djktstr.repo.root=$jktstr_root" dev.jktstr.benchmarks.AgentPingKvmVsQemu "${@:2}" ;;
  virtio) "${java[@]}" dev.jktstr.benchmarks.VirtioBench "${@:2}" ;;
  worker-overhead) "${java[@]}" dev.jktstr.benchmarks.WorkerRuntimeRatio "${@:2}" ;;
  gauntlet) "${java[@]}" "-Djktstr.repo.root=$jktstr_root" dev.jktstr.benchmarks.GauntletParallelRatio "${@:2}" ;;
  recorder) "${java[@]}" "-Djktstr.repo.root=$jktstr_root" dev.jktstr.benchmarks.FlightRecorderCost "${@:2}" ;;
  virtio-guest) (cd "$jktstr_root" && mvn -B -q -ntp -pl kvm -am install -DskipTests && \
      mvn -B -q -ntp -pl kvm surefire:test -Dtest=VirtioThroughputBench -Djktstr.benchmark=true -DtrimStackTrace=false \
      -Dsurefire.failIfNoSpecifiedTests=false) | grep -v '^\[' ;;
  *) echo "usage: benchmarks/run.sh ioctl | btf | cli [rounds] | zstd [bzImage] [rounds] | agent-ping | boot [runs] [N,L,C,T] [MiB per node] | snapshot [rounds] [N,L,C,T] [MiB per node] | introspect [samples] [backend] | kvm-start [runs] | kvm-pio [exits] | kvm-boot [runs] [N,L,C,T] [MiB] [--force] | virtio | virtio-guest | recorder [pairs] [seconds] | gauntlet [rounds] | worker-overhead [rounds] [seconds] | agent-kvm-vs-qemu [rounds] [pings per boot] [--force]" >&2; exit 2 ;;
esac
