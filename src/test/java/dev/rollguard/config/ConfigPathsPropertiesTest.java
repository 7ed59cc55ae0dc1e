package dev.rollguard.config;

import dev.rollguard.Problem;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigPathsPropertiesTest {
    @Provide
    Arbitrary<String> hostilePaths() {
        return Arbitraries.strings().withChars("ab./\\.:\u0000 ").ofMaxLength(40);
    }

    /** Whatever comes in, a normalized path never climbs out, is never absolute, or a clear refusal is made. */
    @Property(tries = 2000)
    void normalizedPathsStayInside(@ForAll("hostilePaths") String raw) {
        try {
            String p = ConfigPaths.normalize(raw);
            assertThat(p).doesNotStartWith("/").doesNotContain("\\").doesNotContain("//");
            assertThat(p.split("/")).doesNotContain("..", ".", "");
        } catch (Problem e) {
            assertThat(e.code()).isIn("invalid_path", "path_traversal");
            assertThat(e.getMessage()).isNotBlank();
        }
    }
}
