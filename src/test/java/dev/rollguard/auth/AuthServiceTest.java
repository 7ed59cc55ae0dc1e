package dev.rollguard.auth;

import dev.rollguard.Problem;
import dev.rollguard.rollout.RolloutWorld;
import dev.rollguard.storage.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The auth service without HTTP: on a SQLite file set up as the server sets it up (Database.sqlite, Flyway). */
class AuthServiceTest {
    @TempDir
    Path dir;

    private Database db;
    private AuthService auth;

    @BeforeEach
    void open() {
        db = Database.sqlite(dir.resolve("rollguard.db"));
        auth = new AuthService(db, new AuthStore(db.jdbi()), Clock.systemUTC());
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void theFirstStartMakesAnAdminOnceAndAShortGivenTokenIsRefused() {
        assertThatThrownBy(() -> auth.bootstrap("short")).isInstanceOf(IllegalArgumentException.class);
        String token = auth.bootstrap(null).orElseThrow();
        assertThat(token).startsWith(AuthService.TOKEN_PREFIX);
        assertThat(auth.bootstrap(null)).as("users exist: no second admin").isEmpty();

        Principal admin = auth.authenticate(token).orElseThrow();
        assertThat(admin.name()).isEqualTo("admin");
        assertThat(admin.can(Permission.ADMIN, "any-service")).isTrue();
        assertThat(auth.users()).singleElement().satisfies(u -> {
            assertThat(u.name()).isEqualTo("admin");
            assertThat(u.disabled()).isFalse();
            assertThat(u.roles()).containsExactly(new AuthService.RoleBinding("*", Role.ADMIN));
        });
    }

    @Test
    void aTokenCarriesItsUsersRolesPerServiceAndAnAgentTokenItsScope() {
        auth.addUser("bob");
        assertThatThrownBy(() -> auth.addUser("bob")).isInstanceOf(Problem.class).extracting(e -> ((Problem) e).code()).isEqualTo("user_exists");
        assertThatThrownBy(() -> auth.addUser("bob smith")).extracting(e -> ((Problem) e).code()).isEqualTo("invalid_user");
        auth.grant("bob", "wp", Role.RELEASER);
        String token = auth.createUserToken("bob", "laptop", 30, "admin").token();

        Principal bob = auth.authenticate(token).orElseThrow();
        assertThat(bob.kind()).isEqualTo(Principal.Kind.USER);
        assertThat(bob.can(Permission.RELEASE, "wp")).isTrue();
        assertThat(bob.can(Permission.READ, "shop")).as("no role on another service").isFalse();
        assertThat(bob.can(Permission.ADMIN, "wp")).isFalse();

        auth.revokeRole("bob", "wp", Role.RELEASER);
        assertThat(auth.authenticate(token).orElseThrow().can(Permission.RELEASE, "wp")).as("the change is seen at once here").isFalse();

        AuthService.NewToken agent = auth.enrol("wp", "production", null, null, 3, "admin");
        Principal a = auth.authenticate(agent.token()).orElseThrow();
        assertThat(a.kind()).isEqualTo(Principal.Kind.AGENT);
        assertThat(a.isAgentFor("wp", "production", "web-1")).isTrue();
        assertThat(a.isAgentFor("wp", "testing", "web-1")).isFalse();
        assertThat(a.hostLimit()).isEqualTo(3);
        assertThatThrownBy(() -> auth.enrol("wp", "production", "web-1", null, 3, "admin"))
                .extracting(e -> ((Problem) e).code()).isEqualTo("invalid_max_hosts");
        assertThat(auth.authenticate("rg_not-a-token")).isEmpty();
    }

    @Test
    void signingInNeedsTheUsersOwnTokenAndADisabledUserHasNoSession() {
        auth.addUser("bob");
        auth.addUser("eve");
        String bobs = auth.createUserToken("bob", null, null, "admin").token();
        assertThat(auth.login("eve", bobs)).as("another user's token").isEmpty();
        assertThat(auth.login("bob", "rg_wrong")).isEmpty();
        String agent = auth.enrol("wp", "testing", "h1", null, null, "admin").token();
        assertThat(auth.login("bob", agent)).as("an agent's token signs nobody in").isEmpty();

        Map.Entry<String, AuthService.Session> s = auth.login("bob", bobs).orElseThrow();
        Map.Entry<Principal, AuthService.Session> back = auth.session(s.getKey()).orElseThrow();
        assertThat(back.getKey().name()).isEqualTo("bob");
        assertThat(back.getValue().csrf()).isEqualTo(s.getValue().csrf());

        auth.setDisabled("bob", true);
        assertThat(auth.session(s.getKey())).isEmpty();
        assertThat(auth.authenticate(bobs)).isEmpty();
        assertThat(auth.users()).filteredOn(u -> u.name().equals("bob")).singleElement().satisfies(u -> assertThat(u.disabled()).isTrue());
        auth.setDisabled("bob", false);
        auth.logout(s.getKey());
        assertThat(auth.session(s.getKey())).as("signed out").isEmpty();
    }

    @Test
    void revokingATokenEndsItAndEverySessionItSignedIn() {
        auth.addUser("bob");
        AuthService.NewToken t = auth.createUserToken("bob", "laptop", null, "admin");
        AuthService.NewToken other = auth.createUserToken("bob", "desk", null, "admin");
        String first = auth.login("bob", t.token()).orElseThrow().getKey();
        String second = auth.login("bob", other.token()).orElseThrow().getKey();

        auth.revoke(t.info().id());
        assertThat(auth.authenticate(t.token())).isEmpty();
        assertThat(auth.session(first)).as("the session of the revoked token").isEmpty();
        assertThat(auth.session(second)).as("a session of another token lives on").isPresent();
        assertThat(auth.token(t.info().id()).revokedAt()).isNotNull();
        assertThatThrownBy(() -> auth.revoke("no-such-id")).extracting(e -> ((Problem) e).code()).isEqualTo("unknown_token");
    }

    @Test
    void anExpiredTokenAuthenticatesNobody() {
        RolloutWorld.ManualClock clock = new RolloutWorld.ManualClock();
        AuthService timed = new AuthService(db, new AuthStore(db.jdbi()), clock);
        timed.addUser("bob");
        String token = timed.createUserToken("bob", null, 1, "admin").token();
        assertThat(timed.authenticate(token)).isPresent();
        clock.advance(Duration.ofDays(1));
        assertThat(timed.authenticate(token)).as("expired, though remembered a moment ago").isEmpty();
    }

    @Test
    void approvalsAreOnePerPersonAndVersion() {
        auth.approve("wp", 3, "carol", "looks fine");
        auth.approve("wp", 3, "carol", "still fine");
        auth.approve("wp", 3, "dave", null);
        auth.approve("wp", 5, "carol", null);
        assertThat(auth.approvers("wp", 3)).containsExactlyInAnyOrder("carol", "dave");
        assertThat(auth.approvedVersions("wp")).containsExactly(5, 3);
        assertThat(auth.approvers("shop", 3)).isEmpty();
    }
}
