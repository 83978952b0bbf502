-- Virtual keys and teams made through the admin API. Each row is the JSON document the admin API reads and
-- writes (the key's secret only as its SHA-256); every change also counts up key_changes.version, which
-- each replica polls to know when to read the rows again.
CREATE TABLE virtual_keys (
    name     TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
CREATE TABLE teams (
    name     TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
CREATE TABLE key_changes (
    id      SMALLINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO key_changes (id, version) VALUES (1, 0);
