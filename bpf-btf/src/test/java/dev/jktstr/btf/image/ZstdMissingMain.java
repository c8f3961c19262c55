package dev.jktstr.btf.image;

import java.lang.foreign.Arena;
import java.nio.file.Path;

/** Run by BzImageTest in a JVM whose libzstd cannot load: prints what extracting a zstd bzImage throws. */
public final class ZstdMissingMain {
    private ZstdMissingMain() {}

    public static void main(String[] args) {
        try (Arena arena = Arena.ofConfined()) {
            BzImage.extractVmlinux(Path.of(args[0]), arena);
            System.out.println("decoded: libzstd was loaded after all");
        } catch (MissingDecoderException e) {
            System.out.println(e + " package=" + e.packageName());
        }
    }
}
