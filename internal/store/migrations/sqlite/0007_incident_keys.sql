-- Encryption at rest (issue 15): one data key per incident, wrapped (sealed)
-- by a key of the ring (internal/keyring) named in key_id. Personal data of
-- the incident (timeline event data, campaign recipients) is sealed with it.
-- Erasing the incident's personal data empties wrapped and sets erased_at;
-- the chain, computed over the ciphertext, still verifies.
CREATE TABLE incident_keys (
    incident_id TEXT NOT NULL PRIMARY KEY,
    key_id      TEXT NOT NULL,
    wrapped     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    erased_at   TEXT,
    erased_by   TEXT NOT NULL DEFAULT ''
);

-- Campaign recipients of an encrypted store: email holds a keyed digest of
-- the lower-cased address (lookups and de-duplication), name is empty, and
-- sealed holds the address and name encrypted with the incident's data key.
ALTER TABLE campaign_recipients ADD COLUMN sealed TEXT NOT NULL DEFAULT '';
