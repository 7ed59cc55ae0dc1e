package dev.rollguard;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaParameterizedType;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceRule;
import dev.rollguard.archfixture.FixtureMachine;
import dev.rollguard.archfixture.FixtureRoute;
import dev.rollguard.archfixture.FixtureService;
import dev.rollguard.archfixture.FixtureStore;
import dev.rollguard.archfixture.protocol.FixtureWire;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.codeUnits;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package graph and the layers: routes reach services only, never a store; no two packages depend on each other,
 * directly or through others. {@code config} (trees, the service spec and every settings record it holds) sits below
 * the packages that read it, and {@code versions} (stored versions, environments, releases) above {@code validate}.
 */
class ArchitectureTest {
    private static final JavaClasses MAIN = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.rollguard", "db.migration");

    /** A store, or a type declared inside one. */
    private static final DescribedPredicate<JavaClass> STORE = DescribedPredicate.describe("a store (a class named *Store or nested in one)",
            c -> topLevel(c).getSimpleName().endsWith("Store"));

    private static final ArchRule ROUTES_USE_SERVICES = noClasses().that().resideInAPackage("dev.rollguard.web..")
            .should().dependOnClassesThat(STORE)
            .because("a route parses, calls one service method and renders; tables are the services' business");

    /** A pure decider: a state machine, the promotion policy, who gets paged. */
    private static final DescribedPredicate<JavaClass> DECIDER = DescribedPredicate.describe("a decider (*Machine, Promotion, Paging)",
            c -> topLevel(c).getSimpleName().endsWith("Machine") || Set.of("Promotion", "Paging").contains(topLevel(c).getSimpleName()));

    private static final ArchRule DECIDERS_ARE_PURE = noClasses().that(DECIDER)
            .should().dependOnClassesThat(DescribedPredicate.describe("a store itself (its records are data), JDBI, a clock or a service",
                    c -> c.getSimpleName().endsWith("Store") || c.getPackageName().startsWith("org.jdbi") || c.isEquivalentTo(Clock.class)
                            || c.getSimpleName().endsWith("Service")))
            .because("a decider takes records and returns a step: what it reads is loaded, and what it decides executed, elsewhere");

    /** Only the orchestrator writes rollouts, assignments and events (the store's methods in the caller's transaction). */
    private static final ArchRule ONE_ROLLOUT_EXECUTOR = noClasses().that().doNotHaveSimpleName("Orchestrator")
            .and().doNotHaveSimpleName("RolloutStore")
            .should().callMethodWhere(DescribedPredicate.describe("a RolloutStore write in a transaction",
                    call -> call.getTargetOwner().getSimpleName().equals("RolloutStore")
                            && call.getTarget().getRawParameterTypes().stream().anyMatch(p -> p.getName().equals("dev.rollguard.storage.Tx"))))
            .because("the orchestrator is the one executor of rollout steps");

    /** Only stores write SQL: services open a transaction through storage.Transactions and hand its Tx to the stores. */
    private static ArchRule onlyStoresTouchJdbi(String root) {
        return noClasses().that().resideOutsideOfPackages(root + ".storage..", "db.migration..").and(DescribedPredicate.not(STORE))
                .should().dependOnClassesThat().resideInAPackage("org.jdbi..")
                .because("how a row is written is the store's business; what commits together is the service's, through storage.Tx");
    }

    /**
     * The JSON edge: web/ (routes render what services return) and Problem (an error's details, written into the
     * problem+json answer as they are). Everywhere else a fact has a type.
     */
    private static final DescribedPredicate<JavaClass> JSON_EDGE = DescribedPredicate.describe("web/ or Problem",
            c -> c.getPackageName().startsWith("dev.rollguard.web") || topLevel(c).getName().equals("dev.rollguard.Problem"));

    /**
     * The one document that stays a map: a service's values, a JSON edge of their own. Config values are user data: their
     * keys are the operator's names (any value, environment, group or host they write in the values file), their values any
     * tree of maps, lists and scalars, and the template engine renders from exactly that; no record can name keys that only
     * the operator's file knows. Everything else Rollguard stores or serves is typed (a rollout event's numbers for people
     * are rollout.EventData, which has no lookup by name; a timeline line's data is incident.TimelineData).
     */
    private static final Set<String> USER_DATA = Set.of("dev.rollguard.values.Values");

    private static final DescribedPredicate<JavaCodeUnit> USER_DATA_DOCUMENT = DescribedPredicate.describe("the operator's own values",
            u -> USER_DATA.contains(topLevel(u.getOwner()).getName()));

    private static final ArchRule NO_LOOSE_MAPS = codeUnits().that().arePublic().and().areDeclaredInClassesThat(DescribedPredicate.not(JSON_EDGE))
            .and(DescribedPredicate.not(USER_DATA_DOCUMENT))
            .should(new ArchCondition<>("not have Map<String, Object> in their signature") {
                @Override
                public void check(JavaCodeUnit unit, ConditionEvents events) {
                    boolean loose = unit.getParameterTypes().stream().anyMatch(ArchitectureTest::looseMap) || looseMap(unit.getReturnType());
                    if (loose) events.add(SimpleConditionEvent.violated(unit, unit.getFullName() + " has Map<String, Object> in its signature"));
                }
            })
            .because("a fact read back by key in another package is text again: records and sealed types say what they hold");

    /** Map<String, Object>, or a type holding one (List<Map<String, Object>>, Map<String, Map<String, Object>>). */
    static boolean looseMap(JavaType t) {
        if (!(t instanceof JavaParameterizedType p)) return false;
        List<JavaType> args = p.getActualTypeArguments();
        boolean loose = p.toErasure().isEquivalentTo(Map.class) && args.size() == 2 && args.get(0) instanceof JavaClass k
                && k.isEquivalentTo(String.class) && args.get(1) instanceof JavaClass v && v.isEquivalentTo(Object.class);
        return loose || args.stream().anyMatch(ArchitectureTest::looseMap);
    }

    /**
     * The wire between server and agent (requests, answers, health samples, tree entries) depends on nothing else of
     * Rollguard's: the agent and the test pollers use it without the server, and a store type never goes on the wire.
     */
    private static ArchRule protocolStandsAlone(String root) {
        return noClasses().that().resideInAPackage(root + ".protocol..")
                .should().dependOnClassesThat(resideInAPackage(root + "..").and(DescribedPredicate.not(resideInAPackage(root + ".protocol.."))))
                .because("the protocol is written once, for both sides: the server's own types stay on the server");
    }

    private static SliceRule packagesWithoutCycles(String root) {
        return slices().matching(root + ".(*)..").should().beFreeOfCycles();
    }

    @Test
    void routesNeverTouchAStore() {
        ROUTES_USE_SERVICES.check(MAIN);
    }

    @Test
    void decidersArePure() {
        DECIDERS_ARE_PURE.check(MAIN);
    }

    @Test
    void theOrchestratorAloneExecutesRolloutSteps() {
        ONE_ROLLOUT_EXECUTOR.check(MAIN);
    }

    @Test
    void theProtocolDependsOnNothingServerSide() {
        protocolStandsAlone("dev.rollguard").check(MAIN);
    }

    @Test
    void onlyStoresAndStorageTouchJdbi() {
        onlyStoresTouchJdbi("dev.rollguard").check(MAIN);
    }

    @Test
    void noLooseMapsOutsideTheJsonEdge() {
        NO_LOOSE_MAPS.check(MAIN);
    }

    @Test
    void noPackageCycle() {
        packagesWithoutCycles("dev.rollguard").check(MAIN);
    }

    @Test
    void theRulesSeeWhatTheyForbid() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.rollguard.archfixture");
        EvaluationResult cycles = packagesWithoutCycles("dev.rollguard.archfixture").evaluate(fixture);
        assertThat(cycles.hasViolation()).as("a cycle between two packages is reported").isTrue();

        JavaClasses route = new ClassFileImporter().importClasses(FixtureRoute.class, FixtureStore.class, FixtureStore.Row.class);
        assertThat(noClasses().that().haveSimpleName("FixtureRoute").should().dependOnClassesThat(STORE).evaluate(route).hasViolation())
                .as("a route reaching a type declared in a store is reported").isTrue();

        JavaClasses decider = new ClassFileImporter().importClasses(FixtureMachine.class, FixtureStore.class, FixtureStore.Row.class);
        assertThat(DECIDERS_ARE_PURE.evaluate(decider).hasViolation()).as("a decider reading a store and the clock is reported").isTrue();

        JavaClasses wire = new ClassFileImporter().importClasses(FixtureWire.class, FixtureStore.class, FixtureStore.Row.class);
        assertThat(protocolStandsAlone("dev.rollguard.archfixture").evaluate(wire).hasViolation())
                .as("a protocol record carrying a store's row is reported").isTrue();

        JavaClasses service = new ClassFileImporter().importClasses(FixtureService.class);
        assertThat(onlyStoresTouchJdbi("dev.rollguard.archfixture").evaluate(service).hasViolation())
                .as("a service taking a JDBI Handle is reported").isTrue();
        EvaluationResult maps = NO_LOOSE_MAPS.evaluate(service);
        assertThat(maps.getFailureReport().getDetails()).as("the method returning List<Map<String, Object>> is reported, the typed map not")
                .singleElement().asString().contains("FixtureService.rows()");
    }

    private static JavaClass topLevel(JavaClass c) {
        JavaClass top = c;
        while (top.getEnclosingClass().isPresent()) top = top.getEnclosingClass().get();
        return top;
    }
}
