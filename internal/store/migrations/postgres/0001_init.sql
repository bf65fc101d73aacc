-- Timeline store, first schema (PostgreSQL).

-- One row per timeline entry. Never updated or deleted by irbot; the hash
-- chain makes any such change visible to Verify.
CREATE TABLE timeline_events (
    incident_id TEXT    NOT NULL,
    seq         BIGINT  NOT NULL,
    event_key   TEXT    NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
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
    last_seq    BIGINT  NOT NULL,
    last_hash   TEXT    NOT NULL
);

CREATE TABLE incident_id_counters (
    prefix     TEXT    NOT NULL PRIMARY KEY,
    last_value BIGINT  NOT NULL
);

CREATE TABLE incident_id_requests (
    request_key TEXT NOT NULL PRIMARY KEY,
    prefix      TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
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
    declared_at TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
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
    due_at       TIMESTAMPTZ,
    sent_at      TIMESTAMPTZ,
    on_time      BOOLEAN,
    late_reason  TEXT NOT NULL,
    reference    TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    decided_by   TEXT NOT NULL,
    rationale    TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX register_entries_recorded ON register_entries (recorded_at, id);
CREATE INDEX register_entries_incident ON register_entries (incident_id);
