package dev.jktstr.introspect;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.jktstr.btf.Btf;
import dev.jktstr.btf.BtfType;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** BPF map values rendered as JSON through the map's own BTF; a DATASEC (.data, .bss maps) becomes an object of its variables. */
final class MapValueJson {
    private static final JsonFactory JSON = new JsonFactory();

    private MapValueJson() {
    }

    /** One JSON text per value, or null when there is no BTF or a value does not render. */
    static List<String> render(Btf btf, int typeId, List<byte[]> values) {
        if (btf == null || typeId == 0) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (byte[] v : values) {
            StringWriter w = new StringWriter();
            try (JsonGenerator g = JSON.createGenerator(w)) {
                writeValue(btf, typeId, MemorySegment.ofArray(v), g);
            } catch (IOException | RuntimeException e) {
                return null;
            }
            out.add(w.toString());
        }
        return out;
    }

    private static void writeValue(Btf btf, int typeId, MemorySegment data, JsonGenerator g) throws IOException {
        if (btf.type(btf.resolve(typeId)) instanceof BtfType.Datasec sec) {
            g.writeStartObject();
            for (BtfType.VarSecInfo vs : sec.vars()) {
                if (btf.type(vs.type()) instanceof BtfType.Var var && vs.offset() + vs.size() <= data.byteSize()) {
                    g.writeFieldName(var.name());
                    btf.renderer().withMaxValues(4096).renderJson(var.type(), data.asSlice(vs.offset(), vs.size()), g);
                }
            }
            g.writeEndObject();
        } else {
            btf.renderer().withMaxValues(4096).renderJson(typeId, data, g);
        }
    }
}
