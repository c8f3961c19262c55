package dev.jktstr.guest;

/** Wire constants of the agent protocol; the C twin is src/main/c/agent.c, the prose is README.md. */
final class Protocol {
    private Protocol() {}

    static final int VERSION = 1;
    /** "JKTS" read as a little-endian u32. */
    static final int MAGIC = 0x53544B4A;
    static final int HEADER_SIZE = 20;
    /** Largest payload either side accepts in one frame. */
    static final int MAX_PAYLOAD = 4 << 20;
    /** Size of the READ_FILE / WRITE_DATA chunks. */
    static final int DATA_CHUNK = 1 << 20;
    /** Per-stream capture limit for EXEC output the agent enforces (and the default the host asks for). */
    static final int MAX_EXEC_OUTPUT = 1 << 20;

    // host -> guest
    static final int PING = 0x01;
    static final int EXEC = 0x02;
    static final int READ_FILE = 0x03;
    static final int WRITE_FILE = 0x04;
    static final int WRITE_DATA = 0x05;
    static final int READ_KMSG = 0x06;
    static final int POWER_OFF = 0x07;
    /** Asks for READY again: a host that reconnects cannot know whether the agent noticed it was gone. */
    static final int HELLO = 0x08;
    static final int WORKERS_SPAWN = 0x10;
    static final int WORKERS_START = 0x11;
    static final int WORKERS_STOP = 0x12;
    static final int WORKERS_PEEK = 0x13;
    static final int WORKERS_CPUS = 0x14;
    // guest -> host
    static final int READY = 0x80;
    static final int OK = 0x81;
    static final int ERROR = 0x82;
    static final int DATA = 0x83;

    static String typeName(int type) {
        return switch (type) {
            case PING -> "PING";
            case EXEC -> "EXEC";
            case READ_FILE -> "READ_FILE";
            case WRITE_FILE -> "WRITE_FILE";
            case WRITE_DATA -> "WRITE_DATA";
            case READ_KMSG -> "READ_KMSG";
            case POWER_OFF -> "POWER_OFF";
            case HELLO -> "HELLO";
            case WORKERS_SPAWN -> "WORKERS_SPAWN";
            case WORKERS_START -> "WORKERS_START";
            case WORKERS_STOP -> "WORKERS_STOP";
            case WORKERS_PEEK -> "WORKERS_PEEK";
            case WORKERS_CPUS -> "WORKERS_CPUS";
            case READY -> "READY";
            case OK -> "OK";
            case ERROR -> "ERROR";
            case DATA -> "DATA";
            default -> String.format("0x%x", type);
        };
    }
}
