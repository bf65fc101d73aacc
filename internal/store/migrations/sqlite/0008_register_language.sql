-- The language a notice was sent in (BCP 47; empty: English, as every
-- notice before languages existed).
ALTER TABLE register_entries ADD COLUMN language TEXT NOT NULL DEFAULT '';
