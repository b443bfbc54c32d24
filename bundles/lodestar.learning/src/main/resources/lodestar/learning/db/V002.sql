-- quality benchmark results: one row per evaluated version and run
CREATE TABLE IF NOT EXISTS learning_benchmark (
    run_id VARCHAR(64) NOT NULL,
    name VARCHAR(100) NOT NULL,
    version INT NOT NULL,
    role VARCHAR(20) NOT NULL,
    model VARCHAR(300) NOT NULL,
    state VARCHAR(20) NOT NULL,
    passed INT NOT NULL,
    total INT NOT NULL,
    errors INT NOT NULL,
    score DOUBLE PRECISION,
    set_path VARCHAR(2000) NOT NULL,
    set_sha256 VARCHAR(64),
    results CLOB,
    actor VARCHAR(200) NOT NULL,
    message VARCHAR(2000),
    created_ms BIGINT NOT NULL,
    started_ms BIGINT,
    finished_ms BIGINT,
    PRIMARY KEY (run_id, version)
);
CREATE INDEX IF NOT EXISTS learning_benchmark_version
    ON learning_benchmark (name, version, created_ms);
