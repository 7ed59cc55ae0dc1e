-- Incidents: one per cause (cause_key), with their own timeline, impact, action items and outgoing notifications.
CREATE TABLE incidents (
    id              INTEGER      PRIMARY KEY,
    service         VARCHAR(100) NOT NULL,
    environment     VARCHAR(100),
    title           TEXT         NOT NULL,
    severity        VARCHAR(4)   NOT NULL,
    status          VARCHAR(20)  NOT NULL,
    source          VARCHAR(20)  NOT NULL,
    cause_key       VARCHAR(300) NOT NULL,
    rollout_id      VARCHAR(36),
    from_version    INTEGER,
    to_version      INTEGER,
    commander       VARCHAR(200),
    opened_by       VARCHAR(200) NOT NULL,
    opened_at       BIGINT       NOT NULL,
    detected_at     BIGINT,
    acknowledged_at BIGINT,
    mitigated_at    BIGINT,
    recovered_at    BIGINT,
    resolved_at     BIGINT,
    impact          TEXT,
    analysis        TEXT,
    updated_at      BIGINT       NOT NULL
);
CREATE INDEX incidents_by_cause ON incidents (cause_key, status);
CREATE INDEX incidents_by_service ON incidents (service, opened_at);

CREATE TABLE incident_timeline (
    id           VARCHAR(36)  PRIMARY KEY,
    incident_id  INTEGER      NOT NULL REFERENCES incidents (id),
    seq          INTEGER      NOT NULL,
    at           BIGINT       NOT NULL,
    type         VARCHAR(50)  NOT NULL,
    source       VARCHAR(200) NOT NULL,
    message      TEXT         NOT NULL,
    data         TEXT,
    ref          VARCHAR(300)
);
CREATE INDEX timeline_by_incident ON incident_timeline (incident_id, at, seq);
-- one copy of each source event (rollout event id, "first 5xx on host x", ...) per incident
CREATE UNIQUE INDEX timeline_ref ON incident_timeline (incident_id, ref);

CREATE TABLE action_items (
    id           INTEGER      PRIMARY KEY,
    incident_id  INTEGER      NOT NULL REFERENCES incidents (id),
    title        TEXT         NOT NULL,
    owner        VARCHAR(200),
    due          VARCHAR(10),
    status       VARCHAR(10)  NOT NULL,
    created_at   BIGINT       NOT NULL,
    updated_at   BIGINT       NOT NULL,
    done_at      BIGINT
);
CREATE INDEX actions_by_incident ON action_items (incident_id);

CREATE TABLE postmortems (
    incident_id  INTEGER      PRIMARY KEY REFERENCES incidents (id),
    markdown     TEXT         NOT NULL,
    updated_by   VARCHAR(200) NOT NULL,
    updated_at   BIGINT       NOT NULL
);

-- The outbox of webhooks: written in the same breath as the incident change, delivered by a worker with retries.
CREATE TABLE notifications (
    id              VARCHAR(36)  PRIMARY KEY,
    incident_id     INTEGER      NOT NULL REFERENCES incidents (id),
    channel         VARCHAR(100) NOT NULL,
    kind            VARCHAR(20)  NOT NULL,
    action          VARCHAR(20)  NOT NULL,
    url             TEXT         NOT NULL,
    secret          TEXT,
    payload         TEXT         NOT NULL,
    status          VARCHAR(10)  NOT NULL,
    attempts        INTEGER      NOT NULL,
    next_attempt_at BIGINT       NOT NULL,
    last_error      TEXT,
    created_at      BIGINT       NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX notifications_pending ON notifications (status, next_attempt_at);
