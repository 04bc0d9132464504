#!/bin/sh
# The entry point of deploy/services.Containerfile: what the public postgres, redis and nginx images do
# with the same command, for Compose (deploy/compose.yml).
#   postgres [ARGS]       initialises $PGDATA on the first start (POSTGRES_USER, POSTGRES_PASSWORD,
#                         POSTGRES_DB; password authentication over the network), then runs as `postgres`
#   redis-server [ARGS]   listens on every interface (the Compose network), protected mode off, like redis:7
#   nginx [ARGS]          nginx in the foreground (the configuration says `daemon off`)
set -eu
case "${1:-}" in
  postgres)
    shift
    user="${POSTGRES_USER:-postgres}" db="${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
      echo "error: set POSTGRES_PASSWORD" >&2
      exit 1
    fi
    as_postgres="setpriv --reuid=postgres --regid=postgres --init-groups"
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
      pwfile=$(mktemp)
      printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
      chown postgres "$pwfile"
      $as_postgres initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
      rm -f "$pwfile"
      echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
      if [ "$db" != postgres ]; then
        $as_postgres postgres -D "$PGDATA" -c listen_addresses='' &
        until pg_isready -q -h /var/run/postgresql; do sleep 0.2; done
        $as_postgres createdb -h /var/run/postgresql -U "$user" "$db"
        $as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
      fi
    fi
    exec $as_postgres postgres -D "$PGDATA" -c listen_addresses='*' "$@" ;;
  redis-server)
    shift
    exec redis-server --bind 0.0.0.0 --protected-mode no "$@" ;;
  *)
    exec "$@" ;;
esac
