package dev.jktstr.guest;

import dev.jktstr.bindings.agent.AgentH;

/**
 * Wire constants of the agent protocol under the names this package uses. The values are
 * {@link AgentH}'s, generated from the agent's own header (src/main/c/agent_protocol.h) by
 * bindings/regenerate.sh, so the two sides cannot drift apart; the prose is README.md.
 */
final class Protocol {
    private Protocol() {}

    static final int VERSION = AgentH.AGENT_PROTOCOL_VERSION;
    /** "JKTS" read as a little-endian u32. */
    static final int MAGIC = AgentH.AGENT_MAGIC;
    static final int HEADER_SIZE = AgentH.AGENT_HEADER_SIZE;
    /** Largest payload either side accepts in one frame. */
    static final int MAX_PAYLOAD = AgentH.AGENT_MAX_PAYLOAD;
    /** Size of the READ_FILE / WRITE_DATA chunks. */
    static final int DATA_CHUNK = AgentH.AGENT_DATA_CHUNK;
    /** Per-stream capture limit for EXEC output the agent enforces (and the default the host asks for). */
    static final int MAX_EXEC_OUTPUT = AgentH.AGENT_MAX_EXEC_OUTPUT;

    // host -> guest
    static final int PING = AgentH.AGENT_MSG_PING;
    static final int EXEC = AgentH.AGENT_MSG_EXEC;
    static final int READ_FILE = AgentH.AGENT_MSG_READ_FILE;
    static final int WRITE_FILE = AgentH.AGENT_MSG_WRITE_FILE;
    static final int WRITE_DATA = AgentH.AGENT_MSG_WRITE_DATA;
    static final int READ_KMSG = AgentH.AGENT_MSG_READ_KMSG;
    static final int POWER_OFF = AgentH.AGENT_MSG_POWER_OFF;
    /** Asks for READY again: a host that reconnects cannot know whether the agent noticed it was gone. */
    static final int HELLO = AgentH.AGENT_MSG_HELLO;
    static final int WORKERS_SPAWN = AgentH.AGENT_MSG_WORKERS_SPAWN;
    static final int WORKERS_START = AgentH.AGENT_MSG_WORKERS_START;
    static final int WORKERS_STOP = AgentH.AGENT_MSG_WORKERS_STOP;
    static final int WORKERS_PEEK = AgentH.AGENT_MSG_WORKERS_PEEK;
    static final int WORKERS_CPUS = AgentH.AGENT_MSG_WORKERS_CPUS;
    // guest -> host
    static final int READY = AgentH.AGENT_MSG_READY;
    static final int OK = AgentH.AGENT_MSG_OK;
    static final int ERROR = AgentH.AGENT_MSG_ERROR;
    static final int DATA = AgentH.AGENT_MSG_DATA;

    // worker groups
    /** Groups alive at once; also the most one WORKERS_PEEK or WORKERS_CPUS names. */
    static final int MAX_GROUPS = AgentH.AGENT_MAX_GROUPS;
    /** The longest WORKERS_STOP waits for the workers' reports. */
    static final int MAX_STOP_GRACE_MS = AgentH.AGENT_MAX_STOP_GRACE_MS;
    /** u64 words of a CPU mask on the wire. */
    static final int CPU_MASK_WORDS = AgentH.AGENT_MAX_CPUS / Long.SIZE;
    /** A worker's state in WORKERS_PEEK: running (after the start, before the stop). */
    static final int WORKER_RUNNING = AgentH.AGENT_WORKER_RUNNING;

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
