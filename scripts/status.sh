#!/usr/bin/env bash
# Prints the status of the running Lodestar instance (lodestar:status): bundles, modules,
# components with missing references, HTTP address, folders and health checks.
exec "$(dirname "${BASH_SOURCE[0]}")/shell.sh" lodestar:status
