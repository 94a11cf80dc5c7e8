#!/usr/bin/env bash
# Installs the real HTML documents the data market's tests and benchmarks read: Debian's
# packaged manuals of PostgreSQL, Python, SQLite and Git (about 2,700 HTML pages under
# /usr/share/doc). The e2e crawl serves them from a local site; the cleaning benchmark
# extracts and filters them. Idempotent; needs root and apt-get.
set -euo pipefail
pkgs="postgresql-doc python3-doc sqlite3-doc git-doc"
missing=""
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
