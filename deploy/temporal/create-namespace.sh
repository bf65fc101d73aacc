#!/bin/sh
# Registers irbot's namespace on the compose Temporal cluster, idempotently.
set -eu
ns=${TEMPORAL_NAMESPACE:-default}
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do sleep 2; done
temporal operator namespace describe -n "$ns" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 ||
	temporal operator namespace create -n "$ns" --retention "${TEMPORAL_RETENTION:-30d}" --address "$TEMPORAL_ADDRESS"
echo "namespace $ns ready"
