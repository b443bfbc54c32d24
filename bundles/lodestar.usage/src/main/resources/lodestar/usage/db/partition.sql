-- The tables of one UTC day, ${day} = YYYY_MM_DD. Kept at the latest schema version: a
-- migration that changes them also changes this file.

-- Every request of the day.
CREATE TABLE IF NOT EXISTS usage_${day} (
    request_id VARCHAR(128) NOT NULL,
    ts_ms BIGINT NOT NULL,
    endpoint VARCHAR(128),
    session_key VARCHAR(256),
    session_start_ms BIGINT,
    client_key VARCHAR(256),
    requested_model VARCHAR(256),
    provider_id VARCHAR(256),
    model VARCHAR(256),
    strategy VARCHAR(128),
    route VARCHAR(2000),
    streamed BOOLEAN NOT NULL,
    cache_hit BOOLEAN NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cached_tokens BIGINT NOT NULL,
    cache_creation_tokens BIGINT NOT NULL,
    tokens_estimated BOOLEAN NOT NULL,
    latency_ms BIGINT NOT NULL,
    ttft_ms BIGINT,
    status INT NOT NULL,
    error_type VARCHAR(128),
    attempts INT NOT NULL,
    cost_usd DOUBLE PRECISION,
    cost_source VARCHAR(8),
    price_version INT,
    event_cost_usd DOUBLE PRECISION,
    baseline_cost_usd DOUBLE PRECISION,
    switched_from VARCHAR(256)
);
-- Reports read whole hours from the rollups below (their primary keys index time, provider,
-- model, strategy and session); request rows are read by time (the partial hours at the ends of
-- a range, exports, session restore) and by session (ad-hoc look-ups of one session).
CREATE INDEX IF NOT EXISTS usage_${day}_ts ON usage_${day} (ts_ms);
CREATE INDEX IF NOT EXISTS usage_${day}_session ON usage_${day} (session_key, session_start_ms);

-- Sums per hour, provider, model and strategy ('' = none), kept by the writer in the same
-- transaction as the requests; reports read whole hours here.
CREATE TABLE IF NOT EXISTS usage_${day}_hourly (
    hour_ms BIGINT NOT NULL,
    provider_id VARCHAR(256) NOT NULL,
    model VARCHAR(256) NOT NULL,
    strategy VARCHAR(128) NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    cache_hits BIGINT NOT NULL,
    streamed BIGINT NOT NULL,
    estimated BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cached_tokens BIGINT NOT NULL,
    cache_creation_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    table_priced BIGINT NOT NULL,
    event_priced BIGINT NOT NULL,
    unpriced BIGINT NOT NULL,
    baseline_usd DOUBLE PRECISION NOT NULL,
    baseline_requests BIGINT NOT NULL,
    cmp_requests BIGINT NOT NULL,
    cmp_cost_usd DOUBLE PRECISION NOT NULL,
    cmp_baseline_usd DOUBLE PRECISION NOT NULL,
    latency_ms BIGINT NOT NULL,
    ttft_ms BIGINT NOT NULL,
    ttft_requests BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    model_switches BIGINT NOT NULL,
    first_ms BIGINT NOT NULL,
    last_ms BIGINT NOT NULL,
    PRIMARY KEY (hour_ms, provider_id, model, strategy)
);

-- Sums per hour and session.
CREATE TABLE IF NOT EXISTS usage_${day}_sessions (
    hour_ms BIGINT NOT NULL,
    session_key VARCHAR(256) NOT NULL,
    session_start_ms BIGINT NOT NULL,
    client_key VARCHAR(256),
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    cache_hits BIGINT NOT NULL,
    streamed BIGINT NOT NULL,
    estimated BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cached_tokens BIGINT NOT NULL,
    cache_creation_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    table_priced BIGINT NOT NULL,
    event_priced BIGINT NOT NULL,
    unpriced BIGINT NOT NULL,
    baseline_usd DOUBLE PRECISION NOT NULL,
    baseline_requests BIGINT NOT NULL,
    cmp_requests BIGINT NOT NULL,
    cmp_cost_usd DOUBLE PRECISION NOT NULL,
    cmp_baseline_usd DOUBLE PRECISION NOT NULL,
    latency_ms BIGINT NOT NULL,
    ttft_ms BIGINT NOT NULL,
    ttft_requests BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    model_switches BIGINT NOT NULL,
    first_ms BIGINT NOT NULL,
    last_ms BIGINT NOT NULL,
    PRIMARY KEY (hour_ms, session_key, session_start_ms)
);

-- Every model switch of the day.
CREATE TABLE IF NOT EXISTS usage_${day}_switches (
    ts_ms BIGINT NOT NULL,
    request_id VARCHAR(128) NOT NULL,
    session_key VARCHAR(256) NOT NULL,
    session_start_ms BIGINT NOT NULL,
    provider_id VARCHAR(256),
    from_model VARCHAR(256) NOT NULL,
    to_model VARCHAR(256) NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_${day}_switches_ts ON usage_${day}_switches (ts_ms);
