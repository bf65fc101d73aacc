-- The store as system of record: the installation's identity, the exact
-- bytes of every notice sent, state snapshots, signed checkpoints of chain
-- heads and tombstones of purged incidents.

-- One row: this installation's random ID, created at first start. It goes
-- into every notice's Message-ID, so two installations never share one.
CREATE TABLE installation (
    singleton       INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    installation_id TEXT    NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

-- One row per SMTP attempt of a notice: the RFC 5322 bytes handed to the
-- server (stored before the attempt), their SHA-256, and the outcome once
-- known (outcome '' while the attempt is in flight).
CREATE TABLE notice_messages (
    incident_id  TEXT    NOT NULL,
    notice_id    TEXT    NOT NULL,
    attempt      INTEGER NOT NULL,
    revision     INTEGER NOT NULL,
    message_id   TEXT    NOT NULL,
    content_hash TEXT    NOT NULL,  -- the notice's content hash (subject, text, HTML)
    raw_sha256   TEXT    NOT NULL,  -- hex SHA-256 of raw
    raw          BYTEA   NOT NULL,
    stored_at    TIMESTAMPTZ NOT NULL,
    outcome      TEXT    NOT NULL,
    code         INTEGER NOT NULL,
    stage        TEXT    NOT NULL,
    uncertain    INTEGER NOT NULL,
    error        TEXT    NOT NULL,
    server       TEXT    NOT NULL,
    attempted_at TIMESTAMPTZ,
    PRIMARY KEY (incident_id, notice_id, attempt)
);

-- The incident's state after each accepted change (version is the seq of
-- the event that carries snapshot_sha256), so an edit is caught by verify
-- and the edited item named.
CREATE TABLE incident_snapshots (
    incident_id TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    state       TEXT    NOT NULL,  -- canonical JSON of the incident's state
    digest      TEXT    NOT NULL,  -- canonical JSON: the state's SHA-256 and one hash per item (fact, clock, notice, ...)
    sha256      TEXT    NOT NULL,  -- hex SHA-256 of digest, also in the event's data (snapshot_sha256)
    PRIMARY KEY (incident_id, version)
);

-- Signed checkpoints: every incident's chain head at one moment, signed
-- with the installation's Ed25519 key.
CREATE TABLE checkpoints (
    id         BIGINT  NOT NULL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    body       TEXT    NOT NULL,  -- canonical JSON, exactly the bytes signed
    public_key TEXT    NOT NULL,  -- hex
    signature  TEXT    NOT NULL   -- hex
);

-- What is left of a purged incident: its final chain head.
CREATE TABLE tombstones (
    incident_id TEXT    NOT NULL PRIMARY KEY,
    title       TEXT    NOT NULL,
    declared_at TIMESTAMPTZ NOT NULL,
    closed_at   TIMESTAMPTZ NOT NULL,
    purged_at   TIMESTAMPTZ NOT NULL,
    events      BIGINT  NOT NULL,
    final_hash  TEXT    NOT NULL,
    reason      TEXT    NOT NULL
);
