-- Customer notification campaigns: one row per person, keyed by campaign and
-- (lower-cased) address, so a re-uploaded list merges and a retried batch
-- finds who was already sent.
CREATE TABLE campaign_recipients (
    campaign_id  TEXT    NOT NULL,
    email        TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    jurisdiction TEXT    NOT NULL,
    language     TEXT    NOT NULL,
    row_num      BIGINT  NOT NULL,
    status       TEXT    NOT NULL,  -- pending, sending, sent, failed
    attempts     INTEGER NOT NULL,
    message_id   TEXT    NOT NULL,
    last_code    INTEGER NOT NULL,
    last_error   TEXT    NOT NULL,
    sent_at      TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, email)
);
CREATE INDEX campaign_recipients_next ON campaign_recipients (campaign_id, status, row_num);
