package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.Severity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PostmortemsTest {
    @TempDir
    Path dir;
    IncidentWorld w;

    @BeforeEach
    void setUp() {
        w = new IncidentWorld(dir);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    @Test
    void aDraftFromTheFactsUntilSomeoneSavesOne() {
        Postmortems pm = w.incidents.postmortems();
        int id = w.incidents.open("wp", "production", "checkout down", Severity.SEV2, null, "bob").id();
        String draft = pm.markdown(id, false);
        assertThat(draft).contains("checkout down").contains("http://rg.example/incidents/" + id);
        assertThat(pm.saved(id)).isFalse();
        pm.save(id, "# what we learned\n", "carol");
        assertThat(pm.saved(id)).isTrue();
        assertThat(pm.markdown(id, false)).isEqualTo("# what we learned\n");
        assertThat(pm.markdown(id, true)).isEqualTo(draft);
        assertThatThrownBy(() -> pm.save(id, " ", "carol")).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("postmortem_empty");
    }
}
