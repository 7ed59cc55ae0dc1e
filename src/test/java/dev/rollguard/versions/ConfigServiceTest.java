package dev.rollguard.versions;

import dev.rollguard.Problem;
import dev.rollguard.audit.AuditLog;
import dev.rollguard.audit.AuditStore;
import dev.rollguard.config.Limits;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.TreeWire;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.secrets.TestSealers;
import dev.rollguard.storage.Database;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The config service without HTTP: on a SQLite file set up as the server sets it up (Database.sqlite, Flyway). */
class ConfigServiceTest {
    private static final String GOOD = "{\"cache\": true}\n";
    private static final String BROKEN = "{\"cache\": \n";

    @TempDir
    Path dir;

    private Database db;
    private ConfigService config;
    private AuditLog audit;

    @BeforeEach
    void open() {
        db = Database.sqlite(dir.resolve("rollguard.db"));
        config = new ConfigService(new ConfigStore(db.jdbi(), TestSealers.fresh()), Validation.builtIn(), Limits.DEFAULT, Clock.systemUTC());
        audit = new AuditLog(db, new AuditStore(db.jdbi()), Clock.systemUTC());
        // as Rollguard wires it: a version's audit record is written in the transaction that stores the version
        config.auditWith((tx, actor, source, action, target, after) -> audit.append(tx, actor, source, action, target, 201, null, after).seq());
        config.putService("svc", ServiceSpec.defaults());
    }

    @AfterEach
    void close() {
        db.close();
    }

    private static Problem refusal(Runnable r) {
        try {
            r.run();
        } catch (Problem p) {
            return p;
        }
        throw new AssertionError("not refused");
    }

    @Test
    void aPushStoresTheNextVersionOnItsParent() {
        ConfigService.PushResult first = config.push("svc", Map.of("app.json", GOOD), "alice", "  first  ", null, null);
        assertThat(first.version().number()).isEqualTo(1);
        assertThat(first.version().parent()).isNull();
        assertThat(first.version().message()).isEqualTo("first");
        assertThat(first.version().releasable()).isTrue();
        VersionInfo second = config.push("svc", Map.of("app.json", GOOD, "more.json", "[]\n"), "bob", "second", null, null).version();
        assertThat(second.number()).isEqualTo(2);
        assertThat(second.parent()).isEqualTo(1);
        assertThat(config.tree("svc", 2).content("more.json")).isEqualTo("[]\n");
        assertThat(config.versions("svc", 10)).extracting(VersionInfo::number).containsExactly(2, 1);

        assertThat(refusal(() -> config.push("svc", Map.of("app.json", GOOD, "more.json", "[]\n"), "bob", "again", null, null)).code())
                .as("the same tree again").isEqualTo("no_changes");
        assertThat(refusal(() -> config.push("svc", Map.of("app.json", "{}\n"), " ", "m", null, null)).code()).isEqualTo("missing_author");
        assertThat(refusal(() -> config.push("svc", Map.of("app.json", "{}\n"), "bob", "", null, null)).code()).isEqualTo("missing_message");
        assertThat(refusal(() -> config.push("nope", Map.of("app.json", "{}\n"), "bob", "m", null, null)).code()).isEqualTo("unknown_service");
        assertThat(config.versions("svc", 10)).as("no refused push stored anything").hasSize(2);
    }

    @Test
    void errorFindingsBlockAPushUnlessGlassIsBrokenWithAReason() {
        Problem refused = refusal(() -> config.push("svc", Map.of("app.json", BROKEN), "alice", "oops", null, null));
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.code()).isEqualTo("validation_failed");
        assertThat(refused.details().get("report")).isInstanceOfSatisfying(ValidationReport.class, r -> {
            assertThat(r.releasable()).isFalse();
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.path()).isEqualTo("app.json"));
        });
        assertThat(config.versions("svc", 10)).isEmpty();
        assertThat(config.validate("svc", Map.of("app.json", BROKEN), null).errors()).as("validate alone stores nothing").isPositive();

        assertThat(refusal(() -> config.push("svc", Map.of("app.json", BROKEN), "alice", "oops", null, " ")).code())
                .isEqualTo("break_glass_reason_required");
        VersionInfo forced = config.push("svc", Map.of("app.json", BROKEN), "alice", "oops", null, "site down, fixing forward").version();
        assertThat(forced.releasable()).isFalse();
        assertThat(forced.breakGlass()).isEqualTo("site down, fixing forward");
        assertThat(forced.report().errors()).isPositive();
    }

    @Test
    void aChangeARiskRuleMatchesIsHighRiskWithTheRuleAndLineForTheSecondPerson() {
        ValidationSettings rules = new ValidationSettings(null, false, false, null, List.of(),
                List.of(new ValidationSettings.RiskRule("db", "**", "DB_PASSWORD", "credentials")), List.of());
        config.putService("svc", new ServiceSpec(null, null, rules, null, null, null, null, null));
        VersionInfo plain = config.push("svc", Map.of("db.conf", "DB_HOST=db1\n"), "alice", "host", null, null).version();
        assertThat(plain.highRisk()).isFalse();
        VersionInfo risky = config.push("svc", Map.of("db.conf", "DB_HOST=db1\nDB_PASSWORD=rotated\n"), "alice", "password", null, null).version();
        // the flag and reasons Promotion's two-person rule reads (ApprovalGate: someone other than the author approves)
        assertThat(risky.highRisk()).isTrue();
        assertThat(risky.report().riskReasons()).singleElement().asString().contains("db", "db.conf:2", "credentials");
        assertThat(config.version("svc", risky.number()).highRisk()).as("as stored").isTrue();
    }

    @Test
    void aRollbackMarksTheVersionBadAndTheEnvironmentGoesBackToThePreviousRelease() {
        config.push("svc", Map.of("app.json", GOOD), "alice", "v1", null, null);
        config.push("svc", Map.of("app.json", "{\"cache\": false}\n"), "alice", "v2", null, null);
        db.useTransaction(tx -> config.recordRelease(tx, "svc", "testing", 1, "alice", null, Clock.systemUTC().instant()));
        db.useTransaction(tx -> config.recordRelease(tx, "svc", "testing", 2, "alice", null, Clock.systemUTC().instant()));
        assertThat(config.released("svc", "testing")).isEqualTo(2);

        // one transaction: a failure half-way leaves neither the mark nor the release
        assertThatThrownBy(() -> db.useTransaction(tx -> {
            config.markBad(tx, "svc", 2, "automatic rollback");
            config.recordRelease(tx, "svc", "testing", 1, "rollguard", null, Clock.systemUTC().instant());
            throw new IllegalStateException("the server stopped");
        })).hasMessage("the server stopped");
        assertThat(config.version("svc", 2).bad()).isFalse();
        assertThat(config.released("svc", "testing")).isEqualTo(2);

        db.useTransaction(tx -> {
            config.markBad(tx, "svc", 2, "automatic rollback: canary 5xx");
            config.recordRelease(tx, "svc", "testing", 1, "rollguard", null, Clock.systemUTC().instant());
        });
        assertThat(config.version("svc", 2).bad()).isTrue();
        assertThat(config.version("svc", 2).badReason()).isEqualTo("automatic rollback: canary 5xx");
        assertThat(config.released("svc", "testing")).isEqualTo(1);
        assertThat(config.releases("svc", "testing", 1)).extracting(ReleaseRecord::previousVersion).containsExactly(null, 2);
        assertThat(refusal(() -> db.useTransaction(tx -> config.recordRelease(tx, "svc", "staging", 1, "a", null, Clock.systemUTC().instant())))
                .code()).isEqualTo("unknown_environment");
    }

    @Test
    void aVersionKeepsWhereItCameFromAndItsAuditRecordCommitsWithIt() {
        GitCommit git = new GitCommit("0123456789abcdef0123456789abcdef01234567", "Alice", "alice@example.org", "tune cache", false);
        VersionInfo v = config.push("svc", new TreeWire.Upload(Map.of("app.json", GOOD), null), "alice", "from git", null, null, git, "192.0.2.7")
                .version();
        assertThat(config.version("svc", v.number()).git()).isEqualTo(git);

        Long seq = config.versionAuditRecords().get("svc v1");
        assertThat(seq).isNotNull();
        AuditLog.Entry record = audit.entries(seq - 1, 1).get(0);
        assertThat(record.actor()).isEqualTo("alice");
        assertThat(record.source()).isEqualTo("192.0.2.7");
        assertThat(record.target()).isEqualTo("/api/v1/services/svc/versions/1");
        assertThat(record.after()).contains("\"treeHash\":\"" + v.treeHash() + "\"");
        assertThat(audit.verify().ok()).isTrue();

        // the version and its record are one transaction: no record, no version
        config.auditWith((tx, actor, source, action, target, after) -> {
            throw new IllegalStateException("audit log unavailable");
        });
        assertThatThrownBy(() -> config.push("svc", Map.of("app.json", "{}\n"), "alice", "unaudited", null, null))
                .hasMessage("audit log unavailable");
        assertThat(config.versions("svc", 10)).hasSize(1);
        assertThat(refusal(() -> new GitCommit("abc", "Alice", null, null, false)).code()).isEqualTo("invalid_git_commit");
    }
}
