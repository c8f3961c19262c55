#!/usr/bin/env bash
# Installs the Debian packages jktstr's build and tests use; installs only what is missing.
set -euo pipefail
packages=(
  gcc libc6-dev            # the static guest agent and the layout probes
  libclang1-19 libclang-common-19-dev  # the bindings generator reads C headers through libclang
  linux-libc-dev           # the kernel headers the bindings are generated from
  busybox-static           # the guest's shell and tools
  qemu-system-x86          # the qemu backend (TCG here)
  bpftool                  # oracle for the BTF tests
  lzop lz4 zstd xz-utils bzip2 gzip binutils  # kernel payload compressors and objcopy: decompression tests
  acpica-tools             # iasl, oracle for the ACPI tables
  cpio                     # oracle for the initramfs writer
  util-linux               # setpriv --pdeathsig: QEMU dies with the JVM
  make flex bison bc libelf-dev libssl-dev dwarves  # jktstr kernel build (and its CI test)
  clang-19 llvm-19 zlib1g-dev libzstd-dev           # the sched_ext example schedulers, linked static
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
