package dev.jktstr.btf.bpf;

/** {@code struct bpf_map_info} as BPF_OBJ_GET_INFO_BY_FD fills it. BTF type ids refer to the map's BTF object. */
public record BpfMapInfo(int type, int id, int keySize, int valueSize, int maxEntries, int flags, String name,
        int btfId, int btfKeyTypeId, int btfValueTypeId, int btfVmlinuxValueTypeId) {}
