package dev.jktstr.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jktstr doctor}: can this machine run jktstr, and with which backend. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Checks the JDK, KVM (its kind: none, PVM, hardware, nested under a hypervisor or an emulator;"
                + " and the speed to expect), QEMU, gcc, busybox and a kernel.",
                "Each line is ok, warn or FAIL; warn and FAIL lines say how to fix them.",
                "Exit status: 0 when nothing failed, 1 otherwise."})
final class DoctorCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print the checks as a JSON array.")
    boolean json;

    @Override
    public Integer call() {
        List<Check> checks = new java.util.ArrayList<>(new Doctor(HostProbe.system(), KernelLookupCheck::run).run());
        checks.add(Doctor.safely("backend", Doctor::backendChoice));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            printJson(checks, out);
        } else {
            print(checks, out);
        }
        out.flush();
        return checks.stream().anyMatch(c -> c.status() == Check.Status.FAIL) ? 1 : 0;
    }

    static void print(List<Check> checks, PrintWriter out) {
        int width = checks.stream().mapToInt(c -> c.title().length()).max().orElse(0);
        for (Check c : checks) {
            out.printf("[%-4s] %-" + width + "s  %s%n", c.status().label, c.title(), c.detail());
            if (!c.fix().isEmpty()) {
                out.printf("       %-" + width + "s  fix: %s%n", "", c.fix());
            }
        }
        long warns = checks.stream().filter(c -> c.status() == Check.Status.WARN).count();
        long fails = checks.stream().filter(c -> c.status() == Check.Status.FAIL).count();
        out.printf("%d ok, %d warn, %d fail%n", checks.size() - warns - fails, warns, fails);
    }

    static void printJson(List<Check> checks, PrintWriter out) {
        // The generator must not close the command's stdout.
        JsonFactory factory = new JsonFactory().configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
        try (JsonGenerator json = factory.createGenerator(out)) {
            json.useDefaultPrettyPrinter();
            json.writeStartArray();
            for (Check c : checks) {
                json.writeStartObject();
                json.writeStringField("status", c.status().name().toLowerCase(java.util.Locale.ROOT));
                json.writeStringField("check", c.title());
                json.writeStringField("detail", c.detail());
                if (!c.fix().isEmpty()) {
                    json.writeStringField("fix", c.fix());
                }
                json.writeEndObject();
            }
            json.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.println();
    }
}
