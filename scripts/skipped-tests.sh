#!/usr/bin/env bash
# Prints every skipped test in the surefire XML reports under a tree, grouped by the reason it was skipped,
# most frequent reason first. bash + grep + sed + sort only (CI machines may lack python3 and awk is not assumed).
#
#   scripts/skipped-tests.sh [--since FILE] [ROOT]
#
# ROOT defaults to the checkout; --since FILE keeps only reports written after FILE (test.sh passes a marker
# made before `mvn verify`, so reports left over from earlier runs do not count). Always exits 0.
#
# Where surefire puts the reason: @Disabled("why") -> <skipped message="why"/>; a failed assumption
# (assumeTrue(..., "why")) -> <skipped type="...TestAbortedException"><![CDATA[...: Assumption failed: why
# followed by the stack trace (trimStackTrace=false), whose first line is taken.
set -uo pipefail

since=""
if [ "${1:-}" = "--since" ]; then
  since=$2
  shift 2
fi
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}

unescape() {
  local s=$1
  s=${s//&quot;/\"}
  s=${s//&apos;/\'}
  s=${s//&lt;/<}
  s=${s//&gt;/>}
  s=${s//&#10;/ }
  s=${s//&#13;/}
  s=${s//&#9;/ }
  s=${s//&amp;/\&}  # \& : bash 5.2 expands a bare & in the replacement to the match
  printf '%s' "$s"
}

# "org.opentest4j.TestAbortedException: Assumption failed: why" -> "why"
reason_of_trace_line() {
  local s=$1
  s=$(printf '%s' "$s" | sed -E 's/^[A-Za-z_$][A-Za-z0-9_$.]*(Exception|Error|Aborted|Skipped)[A-Za-z0-9_$]*: //; s/^Assumption failed: //')
  printf '%s' "$s"
}

declare -A count=()
declare -A tests=()
reasons=()
total=0

record() {
  local reason=$1 test=$2
  [ -n "$reason" ] || reason="(no reason given)"
  if [ -z "${count[$reason]+x}" ]; then
    reasons+=("$reason")
    count[$reason]=0
    tests[$reason]=""
  fi
  count[$reason]=$((count[$reason] + 1))
  tests[$reason]+="      $test"$'\n'
  total=$((total + 1))
}

find_args=(-path '*/target/surefire-reports/TEST-*.xml' -type f)
[ -n "$since" ] && [ -e "$since" ] && find_args+=(-newer "$since")
mapfile -t reports < <(find "$root" "${find_args[@]}" 2>/dev/null | sort)
if [ "${#reports[@]}" -eq 0 ]; then
  echo "skipped tests: no surefire reports${since:+ from this run} under $root"
  exit 0
fi

name_re='[[:space:]]name="([^"]*)"'
class_re='[[:space:]]classname="([^"]*)"'
message_re='<skipped[^>]*[[:space:]]message="([^"]*)"'
for report in "${reports[@]}"; do
  grep -q '<skipped' "$report" || continue
  test="?"
  want_trace=0
  while IFS= read -r line; do
    if [ "$want_trace" = 1 ]; then
      # the reason is on the line after <![CDATA[ when that line ended right after it
      want_trace=0
      record "$(reason_of_trace_line "$line")" "$test"
      continue
    fi
    case $line in
      *"<testcase "*)
        name=""; class=""
        [[ $line =~ $name_re ]] && name=$(unescape "${BASH_REMATCH[1]}")
        [[ $line =~ $class_re ]] && class=$(unescape "${BASH_REMATCH[1]}")
        test="${class:-?}.${name:-?}"
        ;;
      *"<skipped"*)
        if [[ $line =~ $message_re ]]; then
          record "$(unescape "${BASH_REMATCH[1]}")" "$test"
        elif [[ $line == *"<![CDATA["* ]]; then
          trace=${line#*<![CDATA[}
          trace=${trace%%]]>*}
          if [ -z "$trace" ]; then
            want_trace=1
          else
            record "$(reason_of_trace_line "$trace")" "$test"
          fi
        else
          record "" "$test"
        fi
        ;;
    esac
  done < "$report"
done

if [ "$total" -eq 0 ]; then
  echo "skipped tests: none (${#reports[@]} reports)"
  exit 0
fi
echo "skipped tests: $total, for ${#reasons[@]} reason(s), most frequent first:"
for i in "${!reasons[@]}"; do
  printf '%d\t%d\n' "${count[${reasons[$i]}]}" "$i"
done | sort -t $'\t' -k1,1nr -k2,2n | while IFS=$'\t' read -r n i; do
  reason=${reasons[$i]}
  echo "  [$n] $reason"
  printf '%s' "${tests[$reason]}"
done
exit 0
