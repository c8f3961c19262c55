#!/bin/sh
# Builds the guest agent as a static executable. Called by the Maven build (generate-resources):
#   build.sh <source dir> <output file>
set -eu
src="$1"
out="$2"
CC="${CC:-gcc}"
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "jktstr-guest: '$CC' not found; the guest agent is compiled with gcc (Debian: apt-get install gcc libc6-dev)" >&2
  exit 1
fi
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
printf 'int main(void){return 0;}\n' > "$probe_dir/p.c"
if ! "$CC" -static -o "$probe_dir/p" "$probe_dir/p.c" >/dev/null 2>&1; then
  echo "jktstr-guest: '$CC -static' cannot link: the static C library is missing (Debian: apt-get install libc6-dev)" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
"$CC" -static -Os -Wall -Wextra -Werror -o "$out" "$src"/*.c
strip "$out" 2>/dev/null || true
