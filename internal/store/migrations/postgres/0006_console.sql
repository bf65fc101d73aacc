-- Web console (issue 12): sessions, single-use sign-in links, and the
-- record of every sign-in. Also indexes for the incidents page's filters.

-- One row per console session (github.com/alexedwards/scs/v2's store
-- contract): the token is the cookie value, data is scs's encoded session.
CREATE TABLE console_sessions (
    token  TEXT NOT NULL PRIMARY KEY,
    data   BYTEA NOT NULL,
    expiry TIMESTAMPTZ NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expiry);

-- Single-use sign-in links: only the SHA-256 of the link's secret is kept;
-- used_at is set once, by the one UPDATE that consumes the link.
CREATE TABLE console_login_links (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    used_from  TEXT NOT NULL DEFAULT ''
);

-- Every console sign-in, successful or not, for compliance.
CREATE TABLE console_sign_ins (
    id      BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    at      TIMESTAMPTZ NOT NULL,
    user_id TEXT NOT NULL,
    method  TEXT NOT NULL,
    ok      INTEGER NOT NULL,
    remote  TEXT NOT NULL,
    reason  TEXT NOT NULL
);
CREATE INDEX console_sign_ins_at ON console_sign_ins (at);

-- The incidents page lists live and drill incidents apart, newest first,
-- filtered by status or severity; id breaks ties so pages are stable and
-- the order comes from the index rather than a sort.
CREATE INDEX incidents_mode_declared ON incidents (mode, declared_at, id);
CREATE INDEX incidents_mode_status_declared ON incidents (mode, status, declared_at, id);
CREATE INDEX incidents_mode_severity_declared ON incidents (mode, severity, declared_at, id);
