package dev.jktstr.introspect;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.BtfException;
import dev.jktstr.btf.BtfKind;
import dev.jktstr.btf.BtfType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * BTF lookups for typed reads, each answer cached: C type names to ids, variables to their types, decoded
 * types, resolved ids, and members (found through anonymous structs and unions as C does). Field paths are
 * resolved on every read, so these caches are what keep reads cheap. Thread-safe.
 */
final class TypeResolver {
    private final Btf btf;
    private final Map<Object, Object> cache = new ConcurrentHashMap<>();
    private final Map<String, Integer> varTypes = new ConcurrentHashMap<>();

    TypeResolver(Btf btf) {
        this.btf = btf;
    }

    /** The BTF type id for a C type name: {@code task_struct}, {@code struct rq}, {@code u64}. */
    int typeId(String typeName) {
        String n = typeName.strip();
        BtfKind kind = null;
        if (n.startsWith("struct ")) {
            kind = BtfKind.STRUCT;
            n = n.substring(7).strip();
        } else if (n.startsWith("union ")) {
            kind = BtfKind.UNION;
            n = n.substring(6).strip();
        } else if (n.startsWith("enum ")) {
            kind = BtfKind.ENUM;
            n = n.substring(5).strip();
        }
        final BtfKind k = kind;
        final String name = n;
        Object hit = cached("type:" + typeName, () -> {
            if (k != null) {
                return btf.find(name, k).orElse(-1);
            }
            for (BtfKind c : new BtfKind[] {BtfKind.STRUCT, BtfKind.UNION, BtfKind.TYPEDEF, BtfKind.INT, BtfKind.ENUM}) {
                var id = btf.find(name, c);
                if (id.isPresent()) {
                    return id.getAsInt();
                }
            }
            return -1;
        });
        int id = (Integer) hit;
        if (id < 0) {
            throw new IntrospectionException("no type '" + typeName + "' in the kernel's BTF");
        }
        return id;
    }

    /** The type of the variable {@code name} from its BTF VAR. */
    int varType(String name) {
        return varTypes.computeIfAbsent(name, n -> {
            var id = btf.find(n, BtfKind.VAR);
            if (id.isEmpty()) {
                throw new IntrospectionException("no BTF VAR named '" + n + "' (only per-CPU variables have one; "
                        + "use global(name, type))");
            }
            return ((BtfType.Var) btf.type(id.getAsInt())).type();
        });
    }

    /** Decoded BTF type, cached per (btf, id). */
    BtfType type(Btf b, int id) {
        try {
            return (BtfType) cached(new TypeKey(b, id), () -> b.type(id));
        } catch (BtfException e) {
            throw new IntrospectionException("bad BTF type id " + id + ": " + e.getMessage(), e);
        }
    }

    int resolve(Btf b, int id) {
        try {
            return (Integer) cached(new ResolveKey(b, id), () -> b.resolve(id));
        } catch (BtfException e) {
            throw new IntrospectionException("bad BTF type id " + id + ": " + e.getMessage(), e);
        }
    }

    /** Where member {@code name} sits in composite {@code typeId} (searching anonymous members as C does). */
    GuestObject.MemberHit member(Btf b, int typeId, String name) {
        Object hit = cached(new MemberKey(b, typeId, name), () -> {
            GuestObject.MemberHit h = findMember(b, typeId, name, 0, 0);
            return h == null ? Boolean.FALSE : h;
        });
        return hit instanceof GuestObject.MemberHit h ? h : null;
    }

    private GuestObject.MemberHit findMember(Btf b, int typeId, String name, long baseBits, int depth) {
        if (depth > 16 || !(type(b, resolve(b, typeId)) instanceof BtfType.Composite c)) {
            return null;
        }
        for (BtfType.Member m : c.members()) {
            if (m.name().equals(name)) {
                return new GuestObject.MemberHit(m.type(), baseBits + m.bitOffset(), m.bitfieldSize());
            }
        }
        for (BtfType.Member m : c.members()) {
            if (m.name().isEmpty()) {
                GuestObject.MemberHit h = findMember(b, m.type(), name, baseBits + m.bitOffset(), depth + 1);
                if (h != null) {
                    return h;
                }
            }
        }
        return null;
    }

    /** Get-or-compute without computeIfAbsent: the computations themselves consult the cache. */
    private Object cached(Object key, Supplier<Object> compute) {
        Object v = cache.get(key);
        if (v == null) {
            v = compute.get();
            cache.putIfAbsent(key, v);
        }
        return v;
    }

    private record TypeKey(Btf btf, int id) {}

    private record ResolveKey(Btf btf, int id) {}

    private record MemberKey(Btf btf, int id, String name) {}
}
