-- Per hour and per day, key, alias and upstream, updated in the transaction that stores the records, so
-- summaries never scan raw rows; filled here from the records already stored.
CREATE TABLE usage_hourly (
    hour               TIMESTAMP WITH TIME ZONE NOT NULL,
    key_name           VARCHAR(200) NOT NULL,
    alias              VARCHAR(200) NOT NULL,
    upstream           VARCHAR(200) NOT NULL,
    requests           BIGINT NOT NULL,
    prompt_tokens      BIGINT NOT NULL,
    completion_tokens  BIGINT NOT NULL,
    reasoning_tokens   BIGINT NOT NULL,
    cached_tokens      BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    cost_usd           NUMERIC(38,15) NOT NULL,
    credits            BIGINT NOT NULL,
    PRIMARY KEY (hour, key_name, alias, upstream));

INSERT INTO usage_hourly
SELECT date_trunc('hour', time, 'UTC'), key_name, alias, upstream, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens),
       SUM(reasoning_tokens), SUM(cached_tokens), SUM(cache_write_tokens), SUM(cost_usd), SUM(credits)
FROM usage_records GROUP BY 1, 2, 3, 4;

CREATE TABLE usage_daily (
    day                TIMESTAMP WITH TIME ZONE NOT NULL,
    key_name           VARCHAR(200) NOT NULL,
    alias              VARCHAR(200) NOT NULL,
    upstream           VARCHAR(200) NOT NULL,
    requests           BIGINT NOT NULL,
    prompt_tokens      BIGINT NOT NULL,
    completion_tokens  BIGINT NOT NULL,
    reasoning_tokens   BIGINT NOT NULL,
    cached_tokens      BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    cost_usd           NUMERIC(38,15) NOT NULL,
    credits            BIGINT NOT NULL,
    PRIMARY KEY (day, key_name, alias, upstream));

INSERT INTO usage_daily
SELECT date_trunc('day', hour, 'UTC'), key_name, alias, upstream, SUM(requests), SUM(prompt_tokens), SUM(completion_tokens),
       SUM(reasoning_tokens), SUM(cached_tokens), SUM(cache_write_tokens), SUM(cost_usd), SUM(credits)
FROM usage_hourly GROUP BY 1, 2, 3, 4;

-- a key's newest records without a sort
CREATE INDEX usage_records_key_time ON usage_records (key_name, time, id);
