-- The embedded ledger. Times are microseconds since the epoch (UTC); money is exact: amounts as decimal
-- text, and in the hourly rollups as whole micro-dollars plus the rest in femto-dollars, so SQL sums them
-- as integers without rounding or overflow (SQLite has no DECIMAL).
CREATE TABLE usage_records (
    id                TEXT PRIMARY KEY,
    request_id        TEXT NOT NULL,
    time              INTEGER NOT NULL,
    key_name          TEXT NOT NULL,
    endpoint          TEXT NOT NULL,
    alias             TEXT NOT NULL,
    upstream          TEXT NOT NULL,
    upstream_model    TEXT,
    stream            INTEGER NOT NULL,
    status            INTEGER NOT NULL,
    outcome           TEXT NOT NULL,
    attempts          INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    reasoning_tokens  INTEGER NOT NULL,
    cached_tokens     INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    usage_source      TEXT NOT NULL,
    cost_usd          TEXT NOT NULL,
    credits           INTEGER NOT NULL,
    upstream_cost_usd TEXT,
    upstream_credits  TEXT,
    latency_ms        INTEGER NOT NULL,
    ttft_ms           INTEGER
);
-- newest first, overall and per key, without a sort: the request log's two common questions
CREATE INDEX usage_records_time ON usage_records (time, id);
CREATE INDEX usage_records_key_time ON usage_records (key_name, time, id);
CREATE INDEX usage_records_request ON usage_records (request_id);

CREATE TABLE key_credits (
    key_name TEXT PRIMARY KEY,
    granted  INTEGER NOT NULL DEFAULT 0,
    used     INTEGER NOT NULL DEFAULT 0
);

-- per hour (and per day), key, alias and upstream; updated in the transaction that stores the records
CREATE TABLE usage_hourly (
    hour                INTEGER NOT NULL,
    key_name            TEXT NOT NULL,
    alias               TEXT NOT NULL,
    upstream            TEXT NOT NULL,
    requests            INTEGER NOT NULL,
    prompt_tokens       INTEGER NOT NULL,
    completion_tokens   INTEGER NOT NULL,
    reasoning_tokens    INTEGER NOT NULL,
    cached_tokens       INTEGER NOT NULL,
    cache_write_tokens  INTEGER NOT NULL,
    cost_usd_micros     INTEGER NOT NULL,
    cost_usd_femto_rest INTEGER NOT NULL,
    credits             INTEGER NOT NULL,
    PRIMARY KEY (hour, key_name, alias, upstream)
) WITHOUT ROWID;

CREATE TABLE usage_daily (
    day                 INTEGER NOT NULL,
    key_name            TEXT NOT NULL,
    alias               TEXT NOT NULL,
    upstream            TEXT NOT NULL,
    requests            INTEGER NOT NULL,
    prompt_tokens       INTEGER NOT NULL,
    completion_tokens   INTEGER NOT NULL,
    reasoning_tokens    INTEGER NOT NULL,
    cached_tokens       INTEGER NOT NULL,
    cache_write_tokens  INTEGER NOT NULL,
    cost_usd_micros     INTEGER NOT NULL,
    cost_usd_femto_rest INTEGER NOT NULL,
    credits             INTEGER NOT NULL,
    PRIMARY KEY (day, key_name, alias, upstream)
) WITHOUT ROWID;

CREATE TABLE stored_responses (
    id                   TEXT PRIMARY KEY,
    key_name             TEXT NOT NULL,
    previous_response_id TEXT,
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    input_items          TEXT NOT NULL,
    response             TEXT NOT NULL
);
CREATE INDEX stored_responses_expiry ON stored_responses (expires_at);
