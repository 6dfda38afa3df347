#!/bin/sh
# Installs what TestRealProvider (cmd/tok) needs into node_modules/ here:
# node oidc-provider, pinned by package-lock.json. Needs Node.js 20 or
# newer and npm; on Debian they are installed when missing. Safe to run
# again.
set -eu
cd "$(dirname "$0")"

if [ -f node_modules/oidc-provider/package.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
# The lock file names no registry: npm resolves against its configured one.
npm ci --no-audit --no-fund --loglevel=error --omit-lockfile-registry-resolved
