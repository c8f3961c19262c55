package dev.jktstr.testsupport;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Hand-made x86-64 ELF executables, byte by byte (no compiler needed): one PT_LOAD segment holding the whole file
 * at 0x400000, optionally a PT_INTERP (a dynamically linked executable) or a PT_DYNAMIC with a DT_NEEDED entry.
 * The code writes {@code message} to stderr and exits with {@code status}, so {@link #exiting} is a real static
 * program that runs anywhere x86-64 Linux does (the CLI tests start it in a guest as a fake scheduler).
 */
public final class TinyElf {
    /** Where the file is loaded. */
    public static final long BASE = 0x400000;

    // ELF ABI numbers, spelled out: this module depends on none of ours (not bpf-btf's Elf, not the bindings).
    private static final int ET_EXEC = 2, EM_X86_64 = 62;
    private static final int PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
    private static final long DT_NEEDED = 1;

    private TinyElf() {
    }

    /** A static executable that writes {@code message} to stderr and exits with {@code status}. */
    public static byte[] exiting(int status, String message) {
        return build(status, message, null, false, ET_EXEC, EM_X86_64);
    }

    /** The same program, asking for a dynamic loader. */
    public static byte[] dynamic(String interpreter) {
        return build(0, "", interpreter, false, ET_EXEC, EM_X86_64);
    }

    /**
     * The program with the given {@code e_type} and {@code e_machine}, a PT_INTERP naming {@code interpreter}
     * (none if null) and, if {@code needed}, a dynamic section with one DT_NEEDED entry.
     */
    public static byte[] build(int status, String message, String interpreter, boolean needed, int type, int machine) {
        byte[] msg = message.getBytes(StandardCharsets.UTF_8);
        byte[] interp = interpreter == null ? new byte[0] : (interpreter + "\0").getBytes(StandardCharsets.UTF_8);
        int phnum = 1 + (interpreter != null ? 1 : 0) + (needed ? 1 : 0);
        int codeOff = 64 + 56 * phnum;
        byte[] code = code(status, msg.length);
        int msgOff = codeOff + code.length;
        int interpOff = msgOff + msg.length;
        int dynOff = (interpOff + interp.length + 7) & ~7;
        int size = dynOff + (needed ? 32 : 0);
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
        b.putShort((short) type).putShort((short) machine).putInt(1).putLong(BASE + codeOff).putLong(64).putLong(0);
        b.putInt(0).putShort((short) 64).putShort((short) 56).putShort((short) phnum).putShort((short) 64)
                .putShort((short) 0).putShort((short) 0);
        phdr(b, PT_LOAD, 5, 0, size, 0x1000);
        if (interpreter != null) {
            phdr(b, PT_INTERP, 4, interpOff, interp.length, 1);
        }
        if (needed) {
            phdr(b, PT_DYNAMIC, 6, dynOff, 32, 8);
        }
        b.put(code).put(msg).put(interp);
        if (needed) {
            b.position(dynOff);
            b.putLong(DT_NEEDED).putLong(0).putLong(0).putLong(0); // DT_NEEDED, DT_NULL
        }
        return b.array();
    }

    private static void phdr(ByteBuffer b, int type, int flags, long offset, long size, long align) {
        b.putInt(type).putInt(flags).putLong(offset).putLong(BASE + offset).putLong(BASE + offset).putLong(size)
                .putLong(size).putLong(align);
    }

    /** write(2, msg, len); exit(status) — msg follows the code. */
    private static byte[] code(int status, int len) {
        ByteBuffer c = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN);
        c.put((byte) 0xb8).putInt(1);                          // mov eax, 1 (write)
        c.put((byte) 0xbf).putInt(2);                          // mov edi, 2
        c.put(new byte[] {0x48, (byte) 0x8d, 0x35}).putInt(19); // lea rsi, [rip + 19] (the message, after the code)
        c.put((byte) 0xba).putInt(len);                        // mov edx, len
        c.put(new byte[] {0x0f, 0x05});                        // syscall
        c.put((byte) 0xb8).putInt(60);                         // mov eax, 60 (exit)
        c.put((byte) 0xbf).putInt(status);                     // mov edi, status
        c.put(new byte[] {0x0f, 0x05});                        // syscall
        return c.array();
    }
}
