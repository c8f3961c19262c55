// jktstr repl: the API imported, the guest (if one was booted) bound to g, and a few helpers.
// Everything read from the guest is cleaned of terminal escapes before it is shown (the guest is untrusted).
import dev.jktstr.scenario.*;
import dev.jktstr.introspect.*;
import dev.jktstr.machine.GuestText;
import dev.jktstr.machine.Topology;
import java.nio.file.*;
import java.time.Duration;
import java.util.*;

/** The booted guest (a Ctx), or null when the repl booted none: Vm.builder()...boot() makes one. */
Ctx g = dev.jktstr.cli.ReplGuest.get();

/** The guest kernel read from guest memory now: runqueues, sched_ext state, DSQs, BPF maps. */
Snapshot snap() {
    if (g == null) throw new IllegalStateException("no guest: start jktstr repl with --scheduler, --topology or --boot");
    return g.introspector().orElseThrow(() -> new IllegalStateException("no introspection: " + g.introspectionStatus())).snapshot();
}

/** CPU {@code cpu}'s runqueue: rq(0).nrRunning(), rq(0).scxNrRunning(), rq(0).currComm(). */
RunqueueState rq(int cpu) {
    RunqueueState r = snap().runqueue(cpu).orElseThrow(() -> new NoSuchElementException("no CPU " + cpu + " in the guest"));
    return new RunqueueState(r.cpu(), r.nrRunning(), r.clock(), r.currPid(),
            r.currComm() == null ? null : GuestText.line(r.currComm(), 64), r.nrSwitches(), r.scxNrRunning(),
            r.scxFlags(), r.localDsqDepth(), r.errors());
}

/** The names of the guest's BPF maps (a sched_ext scheduler's maps once it has loaded). */
List<String> maps() {
    return snap().maps().stream().map(m -> GuestText.line(m.name(), 64)).toList();
}

/** A BPF map by name, e.g. map("stats") under scx_simple; entries() holds its keys and values. */
BpfMapState map(String name) {
    return snap().map(name).orElseThrow(() -> new NoSuchElementException("no BPF map '" + name + "'; the guest has " + maps()));
}

/** A map's entries one a line: the key as an index and the value rendered through the map's BTF. */
String show(BpfMapState m) {
    StringBuilder b = new StringBuilder();
    for (BpfMapState.Entry e : m.entries()) {
        b.append(e.keyU32()).append(" = ").append(e.valueJson() == null ? "sum " + e.sumU64(0) : e.valueJson()).append('\n');
    }
    return b.toString();
}

/** Runs a scenario on g: Scenarios.run(g, Scenario.of(...)); the verdict is r.verdict().table(). */
RunResult run(Scenario scenario) {
    return Scenarios.run(g, scenario);
}

/** A busybox command line in the guest; its output (cleaned), stdout then stderr. */
String sh(String command) {
    var r = g.agent().exec(command);
    return GuestText.lines(r.stdout(), 1 << 16) + GuestText.lines(r.stderr(), 1 << 16);
}
