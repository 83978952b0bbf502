-- The dashboard's request log filters by alias, upstream or outcome, newest first: each walks an index of its
-- own in time order instead of the whole table (a key's newest already have usage_records_key_time).
CREATE INDEX IF NOT EXISTS usage_records_alias_time ON usage_records (alias, time, id);
CREATE INDEX IF NOT EXISTS usage_records_upstream_time ON usage_records (upstream, time, id);
CREATE INDEX IF NOT EXISTS usage_records_outcome_time ON usage_records (outcome, time, id);
