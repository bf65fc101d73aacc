#!/bin/sh
# Registers irbot's namespace on the compose Temporal cluster, idempotently.
set -eu
ns=${TEMPORAL_NAMESPACE:-default}
i=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do
	i=$((i + 1))
	[ "$i" -lt 60 ] || { echo "temporal at $TEMPORAL_ADDRESS not healthy after 2 minutes" >&2; exit 1; }
	sleep 2
done
temporal operator namespace describe -n "$ns" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 ||
	temporal operator namespace create -n "$ns" --retention "${TEMPORAL_RETENTION:-30d}" --address "$TEMPORAL_ADDRESS"
echo "namespace $ns ready"
