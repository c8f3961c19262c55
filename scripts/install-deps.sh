#!/usr/bin/env bash
# Installs the Debian packages jktstr's build and tests use; installs only what is missing.
#   scripts/install-deps.sh          everything the build and the whole test suite use (scripts/test.sh)
#   scripts/install-deps.sh --build  what building jktstr needs (gcc and the static C library, for the guest agent)
#   scripts/install-deps.sh --run    that, plus what booting a guest needs (QEMU, a static busybox, setpriv)
# --build and --run (the ./jktstr launcher calls them) check the file each package provides, so a copy installed
# another way counts; they say what they install and why, and without root or sudo they install nothing and print
# the one command to run instead (exit 3).
set -euo pipefail
if [ "${1:-}" = "--build" ] || [ "${1:-}" = "--run" ]; then
  mode=${1#--}
  self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/install-deps.sh"
  # A busybox whose first 4 KiB name no dynamic loader (PT_INTERP lies right after the ELF headers).
  static_busybox() {
    [ -x /bin/busybox ] || return 1
    local head
    head=$(head -c 4096 /bin/busybox | tr -d '\0')
    [[ $head != *ld-linux* && $head != *ld-musl* ]]
  }
  static_libc() {
    local f
    for f in /usr/lib/x86_64-linux-gnu/libc.a /usr/lib64/libc.a /usr/lib/libc.a; do
      [ -f "$f" ] && return 0
    done
    return 1
  }
  missing=() why=()
  command -v gcc >/dev/null 2>&1 || { missing+=(gcc); why+=("gcc: compiles the static guest agent"); }
  static_libc || { missing+=(libc6-dev); why+=("libc6-dev: the static C library the guest agent links"); }
  if [ "$mode" = run ]; then
    command -v qemu-system-x86_64 >/dev/null 2>&1 \
      || { missing+=(qemu-system-x86); why+=("qemu-system-x86: qemu-system-x86_64 boots the guest"); }
    static_busybox || { missing+=(busybox-static); why+=("busybox-static: a static /bin/busybox, the guest's shell and tools"); }
    command -v setpriv >/dev/null 2>&1 || { missing+=(util-linux); why+=("util-linux: setpriv, so QEMU dies with the JVM"); }
  fi
  [ ${#missing[@]} -eq 0 ] && exit 0
  reasons=$(printf '%s; ' "${why[@]}")
  what="needs ${missing[*]} (${reasons%; })"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "jktstr: this $mode $what; there is no apt-get here: install them with your package manager" >&2
    exit 3
  fi
  if [ "$(id -u)" -eq 0 ]; then
    sudo_cmd=()
  elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    sudo_cmd=(sudo)
  else
    echo "jktstr: this $mode $what, and installing them needs root. Run this once, then jktstr again:" >&2
    if command -v sudo >/dev/null 2>&1; then
      echo "    sudo $self --$mode" >&2
    else
      echo "    su -c '$self --$mode'" >&2
    fi
    exit 3
  fi
  echo "jktstr: this $mode $what; installing them with ${sudo_cmd[*]:+${sudo_cmd[*]} }apt-get" >&2
  "${sudo_cmd[@]}" apt-get update -q >&2
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  exit 0
fi
packages=(
  gcc libc6-dev            # the static guest agent and the layout probes
  libclang1-19 libclang-common-19-dev  # the bindings generator reads C headers through libclang
  linux-libc-dev           # the kernel headers the bindings are generated from
  busybox-static           # the guest's shell and tools
  qemu-system-x86          # the qemu backend (TCG here)
  bpftool                  # oracle for the BTF tests
  lzop lz4 zstd xz-utils bzip2 gzip binutils  # kernel payload compressors and objcopy: decompression tests
  libzstd1                 # decodes zstd kernel payloads at run time (bindings group zstd; zstd.h is in libzstd-dev)
  acpica-tools             # iasl, oracle for the ACPI tables
  cpio                     # oracle for the initramfs writer
  file                     # oracle for the kernel release read from a bzImage header (gauntlet index)
  chromium                 # renders jktstr report's HTML headless: no script errors, every chart drawn
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
