# Sourced by the launcher and the test scripts: picks JDK 25 and the shared test kernel.
jktstr_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jdk25=/usr/lib/jvm/temurin-25-jdk-amd64
if [ -z "${JAVA_HOME:-}" ] || ! "${JAVA_HOME}/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  if [ -x "$jdk25/bin/java" ]; then
    export JAVA_HOME=$jdk25
  else
    echo "jktstr: JDK 25 not found (set JAVA_HOME to a JDK 25 or newer; expected at $jdk25)" >&2
    exit 2
  fi
fi
export PATH="$JAVA_HOME/bin:$PATH"
# The shared sched_ext test kernel beside the checkout (CI and developer machines have it).
if [ -z "${JKTSTR_KERNEL:-}" ] && [ -d "$jktstr_root/../shared/kernels/linux-6.12-sched_ext" ]; then
  export JKTSTR_KERNEL=$(cd "$jktstr_root/../shared/kernels/linux-6.12-sched_ext" && pwd)
fi
