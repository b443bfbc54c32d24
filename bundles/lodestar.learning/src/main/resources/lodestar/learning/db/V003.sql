-- A/B experiments: one row per request the ab strategy routed, so an arm's figures (and the
-- ratings of its requests, joined from learning_feedback) survive a restart
CREATE TABLE IF NOT EXISTS learning_ab_request (
    request_id VARCHAR(128) NOT NULL PRIMARY KEY,
    virtual_model VARCHAR(200) NOT NULL,
    arm VARCHAR(16) NOT NULL,
    target VARCHAR(300) NOT NULL,
    at_ms BIGINT NOT NULL,
    arrived_ms BIGINT NOT NULL,
    error BOOLEAN NOT NULL,
    escalated BOOLEAN NOT NULL,
    latency_ms DOUBLE PRECISION NOT NULL,
    cost_usd DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS learning_ab_request_arm
    ON learning_ab_request (virtual_model, arm, target);
CREATE INDEX IF NOT EXISTS learning_ab_request_at ON learning_ab_request (at_ms);
-- the state of the experiment of a virtual model, set by lodestar:ab start|stop and
-- POST /api/learning/ab/<model>/start|stop (no row: running with the configured share)
CREATE TABLE IF NOT EXISTS learning_experiment (
    virtual_model VARCHAR(200) NOT NULL PRIMARY KEY,
    state VARCHAR(16) NOT NULL,
    candidate_percent INT,
    changed_ms BIGINT NOT NULL,
    changed_by VARCHAR(200) NOT NULL
);
