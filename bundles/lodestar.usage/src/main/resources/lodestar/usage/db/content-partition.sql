-- The stored content of one UTC day, ${day} = YYYY_MM_DD: only written while storeContent=true,
-- dropped whole after contentRetentionDays (independently of the request tables). Kept at the
-- latest schema version: a migration that changes it also changes this file.

-- The canonical request and answer of every successful exchange of the day, as JSON text.
CREATE TABLE IF NOT EXISTS usage_content_${day} (
    request_id VARCHAR(128) NOT NULL,
    ts_ms BIGINT NOT NULL,
    session_key VARCHAR(256),
    provider_id VARCHAR(256),
    model VARCHAR(256),
    finish_reason VARCHAR(64),
    request_json CLOB,
    answer_json CLOB
);
-- Read by time (the HTTP listing) and by request id (lodestar:usage-content).
CREATE INDEX IF NOT EXISTS usage_content_${day}_ts ON usage_content_${day} (ts_ms);
CREATE INDEX IF NOT EXISTS usage_content_${day}_request ON usage_content_${day} (request_id);
