package dev.jktstr.bindgen;

import org.junit.jupiter.api.Assumptions;

/** Skips generator tests, with a message naming the package, on machines without libclang. */
final class GeneratorAssumptions {

    private GeneratorAssumptions() {}

    static void assumeLibclang() {
        Assumptions.assumeTrue(LibClang.isAvailable(), LibClang.MISSING_HINT);
        Assumptions.assumeTrue(LibClang.resourceDir().isPresent(),
                "clang's resource directory is missing: apt-get install libclang-common-19-dev");
    }
}
