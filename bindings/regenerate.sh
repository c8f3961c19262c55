#!/usr/bin/env bash
# Regenerates the FFM bindings (bindings/src/generated/java) from bindings/bindings.list, byte for byte.
# Needs JDK 25 and libclang-19 (Debian: libclang1-19 libclang-common-19-dev). See bindings/README.md.
#
# The generator (module bindgen) is compiled on its own with javac, not through Maven: it depends on nothing
# but the JDK, so this works from a clean clone even when the committed bindings are missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."

java_home=""
for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 "${JAVA_HOME:-}"; do
    if [[ -n "$candidate" && -x "$candidate/bin/javac" ]] \
        && "$candidate/bin/java" -XshowSettings:properties -version 2>&1 | grep -qE 'java\.specification\.version = (2[5-9]|[3-9][0-9])'; then
        java_home="$candidate"
        break
    fi
done
if [[ -z "$java_home" ]]; then
    echo "regenerate.sh: no JDK 25 found (looked at /usr/lib/jvm/temurin-25-jdk-amd64 and \$JAVA_HOME)" >&2
    exit 1
fi

classes=bindings/target/bindgen-classes
rm -rf "$classes"
"$java_home/bin/javac" -d "$classes" bindgen/src/main/java/dev/jktstr/bindgen/*.java
"$java_home/bin/java" --enable-native-access=ALL-UNNAMED -cp "$classes" \
    dev.jktstr.bindgen.Main bindings/bindings.list bindings/src/generated/java
