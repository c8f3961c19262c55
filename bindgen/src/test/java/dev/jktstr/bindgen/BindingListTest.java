package dev.jktstr.bindgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BindingListTest {

    @Test
    void readsGroupsWithTheirDirectives() {
        BindingList list = BindingList.parse("test.list", List.of(
                "# comment",
                "group kvm",
                "header linux/kvm.h asm/kvm.h  # trailing comment",
                "const KVM_* !KVM_S390_*",
                "struct kvm_run",
                "group libc",
                "header fcntl.h",
                "define _GNU_SOURCE",
                "typedef cpu_set_t",
                "union sigval",
                "function ioctl",
                "variadic ioctl long pointer",
                "group zstd",
                "header zstd.h",
                "library libzstd.so.1 libzstd.so",
                "function ZSTD_isError",
                "group agent",
                "include ../guest/src/main/c",
                "header agent_protocol.h"));

        assertThat(list.groups()).hasSize(4);
        BindingList.Group kvm = list.groups().get(0);
        assertThat(kvm.name()).isEqualTo("kvm");
        assertThat(kvm.headers()).containsExactly("linux/kvm.h", "asm/kvm.h");
        assertThat(kvm.constants()).containsExactly("KVM_*");
        assertThat(kvm.excludedConstants()).containsExactly("KVM_S390_*");
        assertThat(kvm.records()).containsExactly(new BindingList.RecordName(BindingList.RecordKind.STRUCT, "kvm_run"));
        BindingList.Group libc = list.groups().get(1);
        assertThat(libc.defines()).containsExactly("_GNU_SOURCE");
        assertThat(libc.records()).extracting(BindingList.RecordName::toString).containsExactly("typedef cpu_set_t", "union sigval");
        assertThat(libc.variants()).containsExactly(new BindingList.Variant("ioctl", List.of("long", "pointer")));
        assertThat(libc.libraries()).isEmpty();
        assertThat(list.groups().get(2).libraries()).containsExactly("libzstd.so.1", "libzstd.so");
        BindingList.Group agent = list.groups().get(3);
        assertThat(agent.includes()).containsExactly("../guest/src/main/c");
        assertThat(kvm.includes()).isEmpty();
    }

    @Test
    void includeDirectoriesAreRelativeToTheListsDirectory(@TempDir Path dir) throws IOException {
        Path file = Files.createDirectories(dir.resolve("bindings")).resolve("bindings.list");
        Files.writeString(file, "group agent\ninclude ../guest/src/main/c\nheader agent_protocol.h\n");

        BindingList list = BindingList.read(file);

        assertThat(list.includeDirectory(list.groups().get(0).includes().get(0)))
                .isEqualTo(dir.resolve("guest/src/main/c"));
    }

    @Test
    void patternsMatchAnyRunOfCharacters() {
        assertThat(BindingList.matches("KVM_CAP_*", "KVM_CAP_IRQCHIP")).isTrue();
        assertThat(BindingList.matches("KVM_CAP_*", "KVM_CAP_")).isTrue();
        assertThat(BindingList.matches("KVM_CAP_*", "KVM_CREATE_VM")).isFalse();
        assertThat(BindingList.matches("*_MAX", "SETUP_ENUM_MAX")).isTrue();
        assertThat(BindingList.matches("O_RDWR", "O_RDWR")).isTrue();
        assertThat(BindingList.matches("O_RDWR", "O_RDWRX")).isFalse();
        assertThat(BindingList.matches("A.B", "AxB")).isFalse();
    }

    @Test
    void rejectsMalformedListsNamingTheLine() {
        assertThatThrownBy(() -> BindingList.parse("x.list", List.of("header linux/kvm.h")))
                .isInstanceOf(BindgenException.class).hasMessageContaining("x.list:1").hasMessageContaining("before the first 'group'");
        assertThatThrownBy(() -> BindingList.parse("x.list", List.of("group kvm", "header linux/kvm.h", "strcut kvm_run")))
                .isInstanceOf(BindgenException.class).hasMessageContaining("x.list:3").hasMessageContaining("strcut");
        assertThatThrownBy(() -> BindingList.parse("x.list", List.of("group kvm", "header a.h", "function ioctl", "variadic ioctl char")))
                .isInstanceOf(BindgenException.class).hasMessageContaining("'char'");
        assertThatThrownBy(() -> BindingList.parse("x.list", List.of("group kvm", "const X")))
                .isInstanceOf(BindgenException.class).hasMessageContaining("group kvm lists no header");
        assertThatThrownBy(() -> BindingList.parse("x.list", List.of("group kvm", "header a.h", "group kvm", "header b.h")))
                .isInstanceOf(BindgenException.class).hasMessageContaining("appears twice");
        assertThatThrownBy(() -> BindingList.parse("x.list", List.of("group Kvm", "header a.h")))
                .isInstanceOf(BindgenException.class).hasMessageContaining("lowercase");
        assertThatThrownBy(() -> BindingList.parse("x.list", List.of("group kvm", "header ../../etc/passwd")))
                .isInstanceOf(BindgenException.class).hasMessageContaining("not a valid header");
        assertThatThrownBy(() -> BindingList.parse("x.list", List.of("group a", "header a.h", "include /usr/include")))
                .isInstanceOf(BindgenException.class).hasMessageContaining("not a valid include directory");
        assertThatThrownBy(() -> BindingList.parse("x.list", List.of("group z", "header a.h", "library /tmp/evil.so", "function f")))
                .isInstanceOf(BindgenException.class).hasMessageContaining("not a valid library");
        assertThatThrownBy(() -> BindingList.parse("x.list", List.of("group z", "header a.h", "library libz.so.1")))
                .isInstanceOf(BindgenException.class).hasMessageContaining("names a library but binds no function");
    }
}
