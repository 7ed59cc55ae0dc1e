package dev.rollguard.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.sim.Fleet;
import dev.rollguard.sim.WordPressLikeTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in Debian's headless Chromium, driven by Playwright, during a simulated rollout: the canary fails
 * and the rollback happens live, the incident and its postmortem open, rollback is pressed on a good rollout.
 * Screenshots go to target/screenshots. CI sets ROLLGUARD_REQUIRE_BROWSER=1 so a missing Chromium fails the build.
 */
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path SHOTS = Path.of("target", "screenshots");
    private static final String SPEC = "{\"environments\": [\"testing\", \"production\"], \"rollout\": {\"promotionBakeSeconds\": 0, "
            + "\"waves\": [{\"hosts\": 1, \"bakeSeconds\": 30}, {\"percent\": 100, \"bakeSeconds\": 1}]}}";

    private TestServer ts;
    private Fleet fleet;
    private Path fleetDir;
    private Playwright playwright;
    private Browser browser;

    @BeforeEach
    void needChromium() {
        if ("1".equals(System.getenv("ROLLGUARD_REQUIRE_BROWSER"))) assertThat(CHROMIUM).as("Debian's chromium is required here").isExecutable();
        else assumeTrue(Files.isExecutable(CHROMIUM), "chromium not installed");
    }

    @AfterEach
    void cleanUp() {
        if (browser != null) browser.close();
        if (playwright != null) playwright.close();
        if (fleet != null) fleet.close();
        if (ts != null) ts.close();
        if (fleetDir != null) TreeLoader.deleteRecursively(fleetDir);
    }

    private Page browser() {
        playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(CHROMIUM).setHeadless(true)
                .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking")));
        Page page = browser.newPage(new Browser.NewPageOptions().setViewportSize(1280, 900));
        // every wait of the page and of its assertions is on a condition, bounded by the suite's one patience: what the
        // dashboard shows follows rollouts and agents, which take seconds more on a busy machine
        page.setDefaultTimeout(TestServer.PATIENCE.toMillis());
        PlaywrightAssertions.setDefaultAssertionTimeout(TestServer.PATIENCE.toMillis());
        page.onDialog(d -> d.accept());
        return page;
    }

    private void shot(Page page, String name) throws Exception {
        Files.createDirectories(SHOTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve(name + ".png")).setFullPage(true));
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // a guard against a hang only: each wait is bounded by TestServer.PATIENCE
    void operatorsWatchTheCanaryFailRollBackLiveAndFollowTheIncident() throws Exception {
        ts = new TestServer();
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
        fleetDir = TestServer.tempDir();
        fleet = ts.startFleet(5, fleetDir);
        Map<String, String> good = WordPressLikeTree.generate(80, 3);
        int v1 = ts.push(good, "initial", null);
        ts.release("testing", v1, null);
        String first = ts.release("production", v1, null).path("id").asText();
        fleet.load(40, true);
        await().atMost(TestServer.PATIENCE).until(() -> "COMPLETE".equals(ts.get("/api/v1/rollouts/" + first).path("state").asText()));

        Page page = browser();
        page.navigate(ts.url() + "/");
        // strangers are sent to sign in first
        assertThat(page.locator("h1")).hasText("Sign in");
        page.getByLabel("User", new Page.GetByLabelOptions().setExact(true)).fill("admin");
        page.getByLabel("API token", new Page.GetByLabelOptions().setExact(true)).fill(TestServer.ADMIN_TOKEN);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
        assertThat(page.locator("header .user")).hasText("admin");
        assertThat(page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("wp").setExact(true))).isVisible();
        assertThat(page.locator("main")).containsText("production");
        assertThat(page.locator("main")).containsText("v" + v1);
        shot(page, "overview");

        // the seed's typo, break-glass into production; traffic starts only once the browser shows the canary on it
        fleet.loadGenerator().close();
        int v2 = ts.push(WordPressLikeTree.withTypo(good), "typo", "hotfix");
        String bad = ts.release("production", v2, "it's urgent").path("id").asText();
        page.navigate(ts.url() + "/rollouts/" + bad);
        assertThat(page.locator(".status[data-state=RUNNING]")).isVisible();
        assertThat(page.locator(".host.new")).hasCount(1);
        fleet.load(40, true);
        assertThat(page.locator(".status[data-state=ROLLED_BACK]")).isVisible();
        assertThat(page.locator(".reason")).containsText("automatic rollback");
        assertThat(page.locator("tr.ev-rollback_started")).hasCount(1);
        assertThat(page.locator(".waves li.failed")).hasCount(1);
        await().atMost(TestServer.PATIENCE).until(() -> Integer.parseInt(
                Objects.requireNonNullElse(page.locator(".charts").getAttribute("data-points"), "0")) > 0);
        assertThat(page.locator(".host.new")).hasCount(0);
        shot(page, "rollout-rolled-back");

        // the incident, from the rollout page, with its live timeline
        page.locator("p.alert a").click();
        assertThat(page.locator("h1")).containsText("Incident #");
        assertThat(page.locator(".timeline")).containsText("first 5xx on");
        assertThat(page.locator(".timeline")).containsText("rollback finished");
        assertThat(page.locator("[data-impact=requestsFailed]")).not().hasText("0");
        page.getByLabel("Note", new Page.GetByLabelOptions().setExact(true)).fill("customers saw errors on one host");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Add note")).click();
        assertThat(page.locator(".timeline")).containsText("customers saw errors on one host");
        page.getByLabel("Action", new Page.GetByLabelOptions().setExact(true)).fill("Add a validator for extensions");
        page.getByLabel("Owner", new Page.GetByLabelOptions().setExact(true)).fill("alice");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Add action item")).click();
        assertThat(page.locator(".actions")).containsText("Add a validator for extensions");
        shot(page, "incident");

        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Postmortem")).click();
        Locator article = page.locator("article.postmortem");
        assertThat(article.locator("h2").first()).hasText("Summary");
        assertThat(article).containsText("class-wp-hook.phpp");
        assertThat(article).containsText("Add a validator for extensions");
        page.getByLabel("Markdown", new Page.GetByLabelOptions().setExact(true)).fill("# Postmortem\n\nWritten by the team.\n");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Save postmortem")).click();
        assertThat(page.locator("article.postmortem")).containsText("Written by the team.");
        assertThat(page.locator(".crumbs")).containsText("edited, saved");
        shot(page, "postmortem");

        // a good rollout, rolled back by hand from the dashboard (short bakes: nothing to watch there)
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC.replace("\"bakeSeconds\": 30", "\"bakeSeconds\": 1")).status()).isEqualTo(200);
        JsonNode fixed = TestServer.json(ts.send("POST", "/api/v1/services/wp/versions/" + v2 + "/fix", "{}"));
        int v3 = fixed.path("version").path("number").asInt();
        ts.release("testing", v3, null);
        String good3 = ts.release("production", v3, null).path("id").asText();
        await().atMost(TestServer.PATIENCE).until(() -> "COMPLETE".equals(ts.get("/api/v1/rollouts/" + good3).path("state").asText()));
        page.navigate(ts.url() + "/rollouts/" + good3);
        assertThat(page.locator(".status[data-state=COMPLETE]")).isVisible();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Roll back")).click();
        assertThat(page.locator(".status[data-state=ROLLED_BACK]")).isVisible();
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v1) == 5);
        assertThat(page.locator(".reason")).containsText("manual rollback");

        // errors reach people as a message, not a stack trace
        page.navigate(ts.url() + "/rollouts/nope");
        assertThat(page.locator("main")).containsText("no rollout nope");
        page.navigate(ts.url() + "/services/wp/environments/production/hosts");
        assertThat(page.locator("tbody tr")).hasCount(5);
        shot(page, "hosts");
    }
}
