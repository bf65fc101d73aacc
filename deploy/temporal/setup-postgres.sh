#!/bin/sh
# Creates and migrates Temporal's persistence and visibility databases on the
# compose PostgreSQL. Safe to re-run: "create" fails harmlessly on an existing
# database and update-schema only applies missing versions.
set -eu
ep=postgresql
until nc -z "$ep" 5432; do echo "waiting for $ep:5432"; sleep 1; done
for db in temporal temporal_visibility; do
	case $db in
	temporal) dir=temporal ;;
	*) dir=visibility ;;
	esac
	temporal-sql-tool --plugin postgres12 --ep "$ep" -u "$POSTGRES_USER" -p 5432 --db "$db" create || true
	temporal-sql-tool --plugin postgres12 --ep "$ep" -u "$POSTGRES_USER" -p 5432 --db "$db" setup-schema -v 0.0 || true
	temporal-sql-tool --plugin postgres12 --ep "$ep" -u "$POSTGRES_USER" -p 5432 --db "$db" \
		update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
echo "temporal schema ready"
