package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.TreeDiff;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.VersionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;

/** An incident's postmortem: drafted from the facts ({@link Postmortem}) until someone saves an edited one. */
public final class Postmortems {
    private static final Logger log = LoggerFactory.getLogger(Postmortems.class);

    private final ConfigService config;
    private final RolloutService rollouts;
    private final IncidentStore store;
    private final Pager pager;
    private final Clock clock;

    Postmortems(ConfigService config, RolloutService rollouts, IncidentStore store, Pager pager, Clock clock) {
        this.config = config;
        this.rollouts = rollouts;
        this.store = store;
        this.pager = pager;
        this.clock = clock;
    }

    /** The saved postmortem if someone edited it (and {@code fresh} is not asked), else a fresh draft from the facts. */
    public String markdown(int id, boolean fresh) {
        Incident i = incident(id);
        if (!fresh) {
            var saved = store.postmortem(id);
            if (saved.isPresent()) return saved.get().markdown();
        }
        return draft(i);
    }

    /** Whether someone saved an edited postmortem (else it is drafted from the facts). */
    public boolean saved(int id) {
        return store.postmortem(id).isPresent();
    }

    public void save(int id, String markdown, String actor) {
        incident(id);
        if (markdown == null || markdown.isBlank()) throw Problem.badRequest("postmortem_empty", "a postmortem needs text");
        store.savePostmortem(id, markdown, actor, clock.instant());
    }

    String draft(Incident i) {
        VersionInfo bad = null;
        String diff = null;
        if (i.toVersion() != null) {
            try {
                bad = config.version(i.service(), i.toVersion());
                if (i.fromVersion() != null) {
                    diff = TreeDiff.render(config.diff(i.service(), i.fromVersion(), i.toVersion()));
                }
            } catch (Problem e) {
                log.debug("postmortem of #{} without version details: {}", i.id(), e.getMessage());
            }
        }
        Rollout rollout = i.rolloutId() == null ? null : rollouts.find(i.rolloutId()).orElse(null);
        return Postmortem.render(new Postmortem.Facts(i, store.timeline(i.id()), store.actions(i.id(), null), bad, diff, rollout,
                clock.instant(), pager.link(i)));
    }

    private Incident incident(int id) {
        return store.incident(id).orElseThrow(() -> Problem.notFound("unknown_incident", "no incident #" + id));
    }
}
