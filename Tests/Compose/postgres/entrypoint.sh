#!/bin/sh
# First start: initdb (local trust for this script, SCRAM for everyone over TCP), then the
# user and database the environment names. Later starts: the data directory is kept.
set -eu
# Like the official image: started as root, it reads the secret and owns the data directory,
# then runs everything else as postgres.
if [ "$(id -u)" = 0 ]; then
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    POSTGRES_PASSWORD=$(cat "$POSTGRES_PASSWORD_FILE")
    export POSTGRES_PASSWORD
    unset POSTGRES_PASSWORD_FILE
  fi
  chown postgres:postgres "$PGDATA" && chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then password=$(cat "$POSTGRES_PASSWORD_FILE"); else password=${POSTGRES_PASSWORD:?POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE is required}; fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" --username=postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  escaped=$(printf '%s' "$password" | sed "s/'/''/g")
  if [ "$user" = postgres ]; then
    psql -v ON_ERROR_STOP=1 -U postgres -c "ALTER ROLE postgres PASSWORD '$escaped'" >/dev/null
  else
    psql -v ON_ERROR_STOP=1 -U postgres -c "CREATE ROLE \"$user\" LOGIN SUPERUSER PASSWORD '$escaped'" >/dev/null
  fi
  [ "$db" = postgres ] || psql -v ON_ERROR_STOP=1 -U postgres -c "CREATE DATABASE \"$db\" OWNER \"$user\"" >/dev/null
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA"
