package dev.jktstr.kconfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Consumer;

/** Where a kernel build takes its source tree from, and how that tree is identified in cache keys. */
public sealed interface KernelSource {

    /** Debian's source package whose tarball the {@code --debian} build unpacks. */
    String DEBIAN_PACKAGE = "linux-source-6.12";

    /** Makes the tree available (installing or unpacking if needed) and returns it. */
    PreparedSource prepare(Path workRoot, Consumer<String> progress);

    record PreparedSource(Path tree, String identity) {}

    static KernelSource directory(Path tree) {
        return new Directory(tree.toAbsolutePath().normalize());
    }

    static KernelSource debian() {
        return new Debian(DEBIAN_PACKAGE);
    }

    /** A kernel source tree the user already has. */
    record Directory(Path tree) implements KernelSource {
        @Override
        public PreparedSource prepare(Path workRoot, Consumer<String> progress) {
            for (String marker : List.of("Makefile", "Kconfig", "arch/x86/Kconfig")) {
                if (!Files.isRegularFile(tree.resolve(marker))) {
                    throw new KconfigException(tree + " is not an x86 Linux source tree: it has no " + marker);
                }
            }
            // .git is a file in a worktree (`git worktree add`, what KernelIdResolver suggests for git:TREE@REF)
            String identity = Files.exists(tree.resolve(".git"))
                    ? "git:" + Commands.output(List.of("git", "-C", tree.toString(), "describe", "--always",
                            "--dirty", "--abbrev=12"), tree)
                    : "dir:" + tree;
            return new PreparedSource(tree, identity);
        }
    }

    /** Debian's {@code linux-source-6.12} package, installed with apt-get when missing, unpacked once. */
    record Debian(String packageName) implements KernelSource {
        @Override
        public PreparedSource prepare(Path workRoot, Consumer<String> progress) {
            Path tarball = Path.of("/usr/src", packageName + ".tar.xz");
            if (!Files.isRegularFile(tarball)) {
                if (!"root".equals(System.getProperty("user.name"))) {
                    throw new KconfigException(tarball + " is missing: install it with"
                            + " 'sudo apt-get install " + packageName + "' and run the build again");
                }
                progress.accept("installing " + packageName + " with apt-get");
                Commands.run(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends", packageName),
                        Path.of("/"), line -> {});
                if (!Files.isRegularFile(tarball)) {
                    throw new KconfigException("apt-get installed " + packageName + " but " + tarball + " is not there");
                }
            }
            String version = Commands.output(List.of("dpkg-query", "-W", "-f=${Version}", packageName), Path.of("/"));
            Path tree = workRoot.resolve("src").resolve(packageName + "_" + version.replaceAll("[^A-Za-z0-9.+-]", "_"));
            if (!Files.isRegularFile(tree.resolve("Makefile"))) {
                unpack(tarball, tree, progress);
            }
            return new PreparedSource(tree, "debian:" + packageName + "=" + version);
        }

        /** Unpacks next to the target and renames, so an interrupted unpack never looks complete. */
        private void unpack(Path tarball, Path tree, Consumer<String> progress) {
            Path temp = tree.resolveSibling(".unpack-" + tree.getFileName());
            try {
                KernelCache.deleteTree(temp);
                Files.createDirectories(temp);
                progress.accept("unpacking " + tarball + " (about a minute)");
                Commands.run(List.of("tar", "-xJf", tarball.toString(), "-C", temp.toString()), temp, line -> {});
                Path top = temp.resolve(packageName);
                if (!Files.isRegularFile(top.resolve("Makefile"))) {
                    throw new KconfigException(tarball + " did not unpack into " + packageName + "/");
                }
                KernelCache.deleteTree(tree);
                Files.move(top, tree, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new KconfigException("cannot unpack " + tarball + ": " + e.getMessage(), e);
            } finally {
                KernelCache.deleteTree(temp);
            }
        }
    }
}
