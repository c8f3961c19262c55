package dev.jktstr.nativeio;

import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.bindings.libc.Utsname;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Small libc calls with nothing to hold on to. */
public final class Libc {

    private Libc() {}

    /** What uname(2) says about the running kernel. */
    public record Uname(String sysname, String nodename, String release, String version, String machine) {}

    public static Uname uname() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Utsname.LAYOUT);
            MemorySegment state = CallState.current();
            int result;
            try {
                result = (int) LibcH.uname$mh.invokeExact(state, buffer);
            } catch (Throwable t) {
                throw CallState.unexpected(t);
            }
            if (result == -1) {
                throw new NativeException("uname()", CallState.errno(state));
            }
            return new Uname(Utsname.sysname(buffer).getString(0), Utsname.nodename(buffer).getString(0),
                    Utsname.release(buffer).getString(0), Utsname.version(buffer).getString(0),
                    Utsname.machine(buffer).getString(0));
        }
    }

    /** The calling thread's kernel thread id (gettid(2)): what pthread_kill and sched_setaffinity act on. */
    public static int gettid() {
        try {
            return (int) LibcH.gettid$mh.invokeExact(CallState.current());
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
    }

    /** kill(2): sends {@code signal} to process {@code pid}; a failure carries the errno name (ESRCH, EPERM). */
    public static void kill(long pid, int signal) {
        MemorySegment state = CallState.current();
        int result;
        try {
            result = (int) LibcH.kill$mh.invokeExact(state, Math.toIntExact(pid), signal);
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
        if (result == -1) {
            throw new NativeException("kill(" + pid + ", " + signal + ")", CallState.errno(state));
        }
    }

    /** The process id. */
    public static int getpid() {
        try {
            return (int) LibcH.getpid$mh.invokeExact(CallState.current());
        } catch (Throwable t) {
            throw CallState.unexpected(t);
        }
    }
}
