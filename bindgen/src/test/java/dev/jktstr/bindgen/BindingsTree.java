package dev.jktstr.bindgen;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the module's checked-in inputs and outputs are, from the repo root the build passes in. */
final class BindingsTree {

    private BindingsTree() {}

    /** The bindings module directory: {@code <jktstr.repo.root>/bindings}, else {@code ../bindings} from here. */
    static Path module() {
        String root = System.getProperty("jktstr.repo.root", "");
        if (!root.isEmpty() && Files.isDirectory(Path.of(root, "bindings"))) {
            return Path.of(root, "bindings");
        }
        return Path.of("").toAbsolutePath().resolveSibling("bindings");
    }

    static Path list() {
        return module().resolve("bindings.list");
    }

    static Path generatedSourceRoot() {
        return module().resolve("src/generated/java");
    }

    static Path generatedPackageRoot() {
        return generatedSourceRoot().resolve(JavaEmitter.PACKAGE_ROOT.replace('.', '/'));
    }
}
