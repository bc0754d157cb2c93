#!/usr/bin/env bash
# Installs PostgreSQL from Debian packages, starts a throwaway server on
# 127.0.0.1 with its own data directory, makes a user and a database, and
# prints the line that points the webapp tests at it:
#
#   eval "$(bash .ci/postgres.sh)"   # then: go test -race ./workloads/webapp/
#
# Everything but that line goes to stderr. Run it as root (CI is). A server
# already answering on the port is reused, so it is safe to run twice.
# Stop it with: runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PARBENCH_PG_DIR" stop
set -euo pipefail

PORT="${PARBENCH_PG_PORT:-54329}"
DIR="${PARBENCH_PG_DIR:-/tmp/parbench-pg}"
USER_NAME=parbench
PASSWORD=parbench
DB=parbench

log() { echo "postgres.sh: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
	log "installing postgresql from Debian packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq postgresql >&2
fi
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
log "using $PGBIN"

as_pg() { runuser -u postgres -- "$@"; }

if ! as_pg "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
	if [ ! -s "$DIR/PG_VERSION" ]; then
		log "initdb in $DIR"
		mkdir -p "$DIR"
		chown postgres:postgres "$DIR"
		as_pg "$PGBIN/initdb" -D "$DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 >&2
	fi
	log "starting on 127.0.0.1:$PORT"
	as_pg "$PGBIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=200 -c fsync=off" start >&2
fi

psql_pg() { as_pg "$PGBIN/psql" -h "$DIR" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname = '$USER_NAME'")" != 1 ]; then
	psql_pg -c "CREATE ROLE $USER_NAME LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
	psql_pg -c "CREATE DATABASE $DB OWNER $USER_NAME" >&2
fi
log "ready"
echo "export PARBENCH_TEST_POSTGRES='postgres://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB?sslmode=disable'"
