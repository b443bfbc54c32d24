-- learning tables: exchanges, feedback, datasets, training jobs, model registry
CREATE TABLE IF NOT EXISTS learning_exchange (
    request_id VARCHAR(128) NOT NULL PRIMARY KEY,
    ts_ms BIGINT NOT NULL,
    session_id VARCHAR(256),
    provider_id VARCHAR(200),
    model VARCHAR(300),
    finish_reason VARCHAR(64),
    request_json CLOB NOT NULL,
    answer_json CLOB NOT NULL,
    redactions INT NOT NULL,
    recorded_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS learning_exchange_ts ON learning_exchange (ts_ms, request_id);
CREATE TABLE IF NOT EXISTS learning_feedback (
    request_id VARCHAR(128) NOT NULL PRIMARY KEY,
    rating DOUBLE PRECISION NOT NULL,
    source VARCHAR(200),
    updated_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS learning_dataset (
    id VARCHAR(80) NOT NULL PRIMARY KEY,
    created_ms BIGINT NOT NULL,
    path VARCHAR(2000) NOT NULL,
    source_rows INT NOT NULL,
    train_rows INT NOT NULL,
    validation_rows INT NOT NULL,
    manifest_sha256 VARCHAR(64) NOT NULL,
    manifest CLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS learning_job (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    dataset_id VARCHAR(80) NOT NULL,
    backend VARCHAR(100) NOT NULL,
    model_name VARCHAR(100) NOT NULL,
    base_model VARCHAR(300) NOT NULL,
    ollama_from VARCHAR(300),
    params CLOB NOT NULL,
    state VARCHAR(20) NOT NULL,
    message VARCHAR(2000),
    created_ms BIGINT NOT NULL,
    started_ms BIGINT,
    finished_ms BIGINT,
    step BIGINT,
    loss DOUBLE PRECISION,
    eval_loss DOUBLE PRECISION,
    adapter_dir VARCHAR(2000),
    log_path VARCHAR(2000),
    model_version INT
);
CREATE TABLE IF NOT EXISTS learning_model (
    name VARCHAR(100) NOT NULL,
    version INT NOT NULL,
    state VARCHAR(20) NOT NULL,
    base_model VARCHAR(300) NOT NULL,
    ollama_from VARCHAR(300),
    dataset_id VARCHAR(80) NOT NULL,
    backend VARCHAR(100) NOT NULL,
    job_id VARCHAR(64),
    params CLOB NOT NULL,
    metrics CLOB NOT NULL,
    adapter_dir VARCHAR(2000),
    created_ms BIGINT NOT NULL,
    approved_by VARCHAR(200),
    approved_ms BIGINT,
    live_ms BIGINT,
    retired_ms BIGINT,
    deployed_as VARCHAR(300),
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS learning_model_event (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    version INT NOT NULL,
    action VARCHAR(40) NOT NULL,
    actor VARCHAR(200) NOT NULL,
    at_ms BIGINT NOT NULL,
    detail VARCHAR(2000)
);
