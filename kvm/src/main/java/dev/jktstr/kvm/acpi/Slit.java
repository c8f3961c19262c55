package dev.jktstr.kvm.acpi;

import dev.jktstr.kvm.TopologyEncodingException;
import java.util.ArrayList;
import java.util.List;

/** The System Locality Information Table: the NUMA distance matrix, 10 to self, 11–254 to others. */
public final class Slit {

    private Slit() {
    }

    /** 10 on the diagonal, 20 elsewhere: what Linux assumes without a SLIT, and QEMU's default. */
    public static List<List<Integer>> defaultDistances(int nodes) {
        List<List<Integer>> rows = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            List<Integer> row = new ArrayList<>();
            for (int j = 0; j < nodes; j++) {
                row.add(i == j ? 10 : 20);
            }
            rows.add(List.copyOf(row));
        }
        return List.copyOf(rows);
    }

    public static byte[] build(List<List<Integer>> distances, OemIds oem) {
        int n = distances.size();
        Sdt t = new Sdt("SLIT", 1, oem);
        t.body.u64(n);
        for (int i = 0; i < n; i++) {
            List<Integer> row = distances.get(i);
            if (row.size() != n) {
                throw new TopologyEncodingException("SLIT row " + i + " has " + row.size() + " distances, needs " + n);
            }
            for (int j = 0; j < n; j++) {
                int d = row.get(j);
                if (i == j ? d != 10 : d < 11 || d > 254) {
                    throw new TopologyEncodingException("SLIT distance " + i + "->" + j + " = " + d
                            + " (10 to self, 11..254 to other nodes)");
                }
                t.body.u8(d);
            }
        }
        return t.finish();
    }
}
