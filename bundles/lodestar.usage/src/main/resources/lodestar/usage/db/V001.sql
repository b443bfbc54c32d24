-- Base schema: price tables (partition tables come from partition.sql, one set per day)
-- Statements end with ';' at the end of a line. A statement containing ${day} is run once for
-- every existing day partition (for migrations that alter the partitions).

-- One row per distinct price table seen; usage rows reference it by version.
CREATE TABLE IF NOT EXISTS usage_price_table (
    version INT NOT NULL PRIMARY KEY,
    content_hash VARCHAR(64) NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL,
    entries INT NOT NULL
);

-- The entries of each price table version, USD per 1M tokens.
CREATE TABLE IF NOT EXISTS usage_price_entry (
    version INT NOT NULL,
    kind VARCHAR(8) NOT NULL,
    name VARCHAR(256) NOT NULL,
    input_per_m DOUBLE PRECISION NOT NULL,
    output_per_m DOUBLE PRECISION NOT NULL,
    cached_per_m DOUBLE PRECISION NOT NULL,
    cache_write_per_m DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (version, kind, name),
    FOREIGN KEY (version) REFERENCES usage_price_table (version)
);
