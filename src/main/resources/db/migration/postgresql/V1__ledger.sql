-- The schema as releases before versioned migrations made it, table by table if missing: a database they
-- made is baselined at version 0 and passes through this unchanged.
CREATE TABLE IF NOT EXISTS usage_records (
    id VARCHAR(64) PRIMARY KEY, request_id VARCHAR(128) NOT NULL, time TIMESTAMP WITH TIME ZONE NOT NULL,
    key_name VARCHAR(200) NOT NULL, endpoint VARCHAR(40) NOT NULL, alias VARCHAR(200) NOT NULL,
    upstream VARCHAR(200) NOT NULL, upstream_model VARCHAR(300), stream BOOLEAN NOT NULL, status INT NOT NULL,
    outcome VARCHAR(30) NOT NULL, attempts INT NOT NULL, prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL, cached_tokens BIGINT NOT NULL, cache_write_tokens BIGINT NOT NULL,
    usage_source VARCHAR(20) NOT NULL, cost_usd DECIMAL(30,15) NOT NULL, credits BIGINT NOT NULL,
    upstream_cost_usd DECIMAL(30,15), upstream_credits DECIMAL(30,6), latency_ms BIGINT NOT NULL, ttft_ms BIGINT);
CREATE INDEX IF NOT EXISTS usage_records_time ON usage_records (time);
CREATE INDEX IF NOT EXISTS usage_records_request ON usage_records (request_id);
CREATE TABLE IF NOT EXISTS key_credits (key_name VARCHAR(200) PRIMARY KEY,
    granted BIGINT NOT NULL DEFAULT 0, used BIGINT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS stored_responses (id VARCHAR(100) PRIMARY KEY, key_name VARCHAR(200) NOT NULL,
    previous_response_id VARCHAR(100), created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL, input_items VARCHAR NOT NULL, response VARCHAR NOT NULL);
CREATE INDEX IF NOT EXISTS stored_responses_expiry ON stored_responses (expires_at);
