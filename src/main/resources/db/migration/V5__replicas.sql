-- Several servers on one PostgreSQL: one holder at a time for each background duty (the rollout orchestrator, the
-- incident monitor, the webhook worker), taken over when its holder stops renewing.
CREATE TABLE leases (
    name        VARCHAR(100) PRIMARY KEY,
    holder      VARCHAR(100) NOT NULL,
    expires_at  BIGINT       NOT NULL
);

-- Health reports reach whichever server an agent talks to; each server copies the others' from here.
CREATE TABLE health_samples (
    id           VARCHAR(36)  PRIMARY KEY,
    origin       VARCHAR(100) NOT NULL,
    received_at  BIGINT       NOT NULL,
    service      VARCHAR(100) NOT NULL,
    environment  VARCHAR(100) NOT NULL,
    host         VARCHAR(200) NOT NULL,
    sample       TEXT         NOT NULL
);
CREATE INDEX health_samples_by_time ON health_samples (received_at);
