#!/bin/sh
# Creates irbot's own role and database next to Temporal's, on the first
# start of an empty PostgreSQL volume (docker-entrypoint-initdb.d). The
# password comes from IRBOT_DB_PASSWORD, whose compose default is dev-only.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
	-v irbot_password="${IRBOT_DB_PASSWORD:?IRBOT_DB_PASSWORD must be set}" <<'SQL'
CREATE ROLE irbot LOGIN PASSWORD :'irbot_password';
CREATE DATABASE irbot OWNER irbot;
SQL
