package dev.jktstr.bindgen;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generator given a header that does not exist, or names the headers do not declare, says which. */
class BadInputTest {

    @BeforeAll
    static void needsLibclang() {
        GeneratorAssumptions.assumeLibclang();
    }

    private static BindingList list(String... lines) {
        return BindingList.parse("bad.list", List.of(lines));
    }

    @Test
    void aMissingHeaderIsNamed() {
        assertThatThrownBy(() -> Main.generate(list("group kvm", "header linux/kvm.h linux/no_such_header.h", "const KVM_API_VERSION")))
                .isInstanceOf(BindgenException.class)
                .hasMessageContaining("group kvm")
                .hasMessageContaining("header linux/no_such_header.h not found");
    }

    @Test
    void aMissingIncludeDirectoryIsNamed() {
        assertThatThrownBy(() -> Main.generate(list("group agent", "include no/such/directory", "header agent_protocol.h",
                        "const AGENT_*")))
                .isInstanceOf(BindgenException.class)
                .hasMessageContaining("group agent")
                .hasMessageContaining("include directory no/such/directory not found");
    }

    @Test
    void undeclaredNamesAreAllNamed() {
        assertThatThrownBy(() -> Main.generate(list("group kvm", "header linux/kvm.h",
                        "const KVM_API_VERSION KVM_NO_SUCH_CONSTANT NOPE_*",
                        "struct kvm_run kvm_no_such_struct",
                        "union kvm_regs",
                        "function no_such_function")))
                .isInstanceOf(BindgenException.class)
                .hasMessageContaining("not declared in linux/kvm.h")
                .hasMessageContaining("KVM_NO_SUCH_CONSTANT")
                .hasMessageContaining("NOPE_*")
                .hasMessageContaining("struct kvm_no_such_struct")
                .hasMessageContaining("union kvm_regs")
                .hasMessageContaining("function no_such_function")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage()).doesNotContain("KVM_API_VERSION,"));
    }

    @Test
    void aMacroThatIsNotAnIntegerIsNamed() {
        assertThatThrownBy(() -> Main.generate(list("group elf", "header elf.h", "const ELFMAG")))
                .isInstanceOf(BindgenException.class)
                .hasMessageContaining("not integer constants: ELFMAG");
    }

    @Test
    void aVariantOfANonVariadicFunctionIsRejected() {
        assertThatThrownBy(() -> Main.generate(list("group libc", "header unistd.h", "function close", "variadic close int")))
                .isInstanceOf(BindgenException.class)
                .hasMessageContaining("close is not variadic");
    }
}
