package dev.jktstr.scenario.gauntlet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A kernel's release ({@code uname -r}) read from its bzImage without booting it: the x86 boot protocol's
 * {@code kernel_version} (offset 0x20E, a pointer less 0x200 to "6.12.0 (user@host) #1 ..."), so a matrix's index
 * names kernels as the runs' results do, also for combinations that never boot.
 */
public final class KernelRelease {
    private KernelRelease() {
    }

    /** The release, or the image's parent directory name when the image has no readable version string. */
    public static String of(Path image) {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer hdr = ByteBuffer.allocate(0x210).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(hdr, 0) == 0x210 && hdr.getInt(0x202) == 0x53726448) { // "HdrS"
                int pointer = Short.toUnsignedInt(hdr.getShort(0x20E));
                if (pointer != 0) {
                    ByteBuffer v = ByteBuffer.allocate(128);
                    ch.read(v, pointer + 0x200L);
                    StringBuilder s = new StringBuilder();
                    for (int i = 0; i < v.position(); i++) {
                        int b = v.get(i) & 0xff;
                        if (b <= ' ' || b >= 0x7f) {
                            break;
                        }
                        s.append((char) b);
                    }
                    if (!s.isEmpty()) {
                        return s.toString();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall back to the name
        }
        Path parent = image.toAbsolutePath().getParent();
        return parent != null && parent.getFileName() != null ? parent.getFileName().toString() : image.toString();
    }
}
