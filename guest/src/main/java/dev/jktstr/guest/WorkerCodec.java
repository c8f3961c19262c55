package dev.jktstr.guest;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The payloads of the WORKERS_* requests and their answers (layouts in the README's protocol table); every count the
 * guest reports is checked against what was asked.
 */
final class WorkerCodec {

    private WorkerCodec() {
    }

    static byte[] spawnRequest(WorkerRequest request) {
        byte[] mask = request.affinity().toByteArray();
        PayloadWriter payload = new PayloadWriter().str(request.cgroupPath()).u32(request.count()).u32(request.type().wireId)
                .u32(request.param1()).u32(request.param2()).u32(request.nice()).u32(request.policy() + 1L)
                .bytes(mask);
        // the optional sections are positional: a later one present means every earlier one is written (empty)
        boolean exec = request.execPath().isPresent();
        if (!request.phases().isEmpty() || request.memPolicy().isPresent() || exec) {
            payload.u32(request.phases().size());
            for (WorkerRequest.Phase p : request.phases()) {
                payload.u32(p.type().wireId).u32(p.param1()).u32(p.param2()).u32(p.duration().toMillis());
            }
        }
        if (request.memPolicy().isPresent()) {
            WorkerRequest.MemPolicy mp = request.memPolicy().get();
            payload.u32(mp.mode().wireId + 1L).u64(mp.nodeMask());
        } else if (exec) {
            payload.u32(0).u64(0); // no memory policy
        }
        if (exec) {
            payload.str(request.execPath().get());
        }
        return payload.toBytes();
    }

    static WorkerGroup spawnAnswer(Frame f, WorkerRequest request) {
        PayloadReader r = new PayloadReader(f.payload(), "WORKERS_SPAWN response");
        int id = (int) r.u32();
        long n = r.u32();
        if (n != request.count()) {
            throw new AgentProtocolException("WORKERS_SPAWN: asked for " + request.count() + " workers, agent reports " + n);
        }
        List<Integer> pids = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            pids.add((int) r.u32());
        }
        r.end();
        return new WorkerGroup(id, pids);
    }

    static List<WorkerTelemetry> stopAnswer(Frame f, WorkerGroup group) {
        PayloadReader r = new PayloadReader(f.payload(), "WORKERS_STOP response");
        long n = r.u32();
        if (n != group.pids().size()) {
            throw new AgentProtocolException("WORKERS_STOP: group had " + group.pids().size() + " workers, agent reports " + n);
        }
        List<WorkerTelemetry> list = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            int pid = (int) r.u32();
            boolean finished = r.u8() != 0;
            long units = r.u64(), iterations = r.u64(), cpu = r.u64(), wall = r.u64(), delay = r.u64(), slices = r.u64(),
                    migrations = r.u64();
            List<Integer> cpus = cpuMask(r);
            long gap = r.u64(), gapAt = r.u64();
            int gapCpu = (int) r.u32();
            long wakes = r.u32();
            long p50 = r.u64(), p99 = r.u64(), max = r.u64(), vol = r.u64(), invol = r.u64();
            list.add(new WorkerTelemetry(pid, finished, units, iterations, cpu, wall, delay == -1L ? -1 : delay, slices,
                    migrations, cpus, gap, gapCpu, gapAt, wakes, p50, p99, max, vol, invol));
        }
        r.end();
        return list;
    }

    /** A request naming groups by id: u32 n, u32 id × n. */
    static byte[] groupsRequest(Collection<WorkerGroup> groups) {
        PayloadWriter w = new PayloadWriter().u32(groups.size());
        groups.forEach(g -> w.u32(g.id()));
        return w.toBytes();
    }

    static Map<Integer, List<WorkerProgress>> peekAnswer(Frame f, Collection<WorkerGroup> groups) {
        PayloadReader r = new PayloadReader(f.payload(), "WORKERS_PEEK response");
        r.u64(); // the guest's monotonic clock at the read
        long n = r.u32();
        if (n != groups.size()) {
            throw new AgentProtocolException("WORKERS_PEEK: asked for " + groups.size() + " groups, agent reports " + n);
        }
        Map<Integer, List<WorkerProgress>> out = new LinkedHashMap<>();
        for (WorkerGroup g : groups) {
            int id = (int) r.u32();
            long count = r.u32();
            if (id != g.id() || count != g.pids().size()) {
                throw new AgentProtocolException("WORKERS_PEEK: expected group " + g.id() + " of " + g.pids().size()
                        + " workers, agent reports group " + id + " of " + count);
            }
            List<WorkerProgress> list = new ArrayList<>();
            for (long i = 0; i < count; i++) {
                int pid = (int) r.u32();
                int state = r.u8();
                list.add(new WorkerProgress(pid, state, r.u64(), r.u64(), r.u64(), r.u64()));
            }
            out.put(id, List.copyOf(list));
        }
        r.end();
        return out;
    }

    /** A CPU mask (4 × u64, CPUs 0..255) as the CPU numbers set, ascending. */
    static List<Integer> cpuMask(PayloadReader r) {
        List<Integer> cpus = new ArrayList<>();
        for (int w = 0; w < Protocol.CPU_MASK_WORDS; w++) {
            long bits = r.u64();
            for (int b = 0; b < 64; b++) {
                if ((bits >>> b & 1) != 0) {
                    cpus.add(w * 64 + b);
                }
            }
        }
        return cpus;
    }
}
