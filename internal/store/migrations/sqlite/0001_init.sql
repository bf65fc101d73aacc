-- Timeline store, first schema (SQLite). Times are TEXT in the fixed layout
-- 2006-01-02T15:04:05.000000Z, which sorts as it reads.

-- One row per timeline entry. Never updated or deleted by irbot; the hash
-- chain makes any such change visible to Verify.
CREATE TABLE timeline_events (
    incident_id TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    event_key   TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    data        TEXT    NOT NULL,  -- canonical JSON, exactly the bytes hashed
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    PRIMARY KEY (incident_id, seq),
    UNIQUE (incident_id, event_key)
);

-- The end of each chain, written in the same transaction as each append:
-- it is what reveals a deleted last event, and the row appends lock.
CREATE TABLE timeline_heads (
    incident_id TEXT    NOT NULL PRIMARY KEY,
    last_seq    INTEGER NOT NULL,
    last_hash   TEXT    NOT NULL
);

CREATE TABLE incident_id_counters (
    prefix     TEXT    NOT NULL PRIMARY KEY,
    last_value INTEGER NOT NULL
);

CREATE TABLE incident_id_requests (
    request_key TEXT NOT NULL PRIMARY KEY,
    prefix      TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE incidents (
    id          TEXT NOT NULL PRIMARY KEY,
    title       TEXT NOT NULL,
    severity    TEXT NOT NULL,
    mode        TEXT NOT NULL,
    status      TEXT NOT NULL,
    phase       TEXT NOT NULL,
    declared_by TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    declared_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX incidents_declared_at ON incidents (declared_at);

CREATE TABLE register_entries (
    id           TEXT NOT NULL PRIMARY KEY,
    incident_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    regime       TEXT NOT NULL,
    obligation   TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    to_addrs     TEXT NOT NULL,  -- JSON array of strings
    status       TEXT NOT NULL,
    due_at       TEXT,
    sent_at      TEXT,
    on_time      INTEGER,
    late_reason  TEXT NOT NULL,
    reference    TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    decided_by   TEXT NOT NULL,
    rationale    TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX register_entries_recorded ON register_entries (recorded_at, id);
CREATE INDEX register_entries_incident ON register_entries (incident_id);
