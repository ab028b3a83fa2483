#!/usr/bin/env bash
# A multi-node rehearsal on one machine (README "Rehearsal: several nodes on one machine"):
#
#   nginx :CLUSTER_PORT  ->  gunicorn node a :CLUSTER_NODE_A_PORT, node b :CLUSTER_NODE_B_PORT
#   two qcluster processes (worker-a, worker-b), both with the scheduler on
#   PostgreSQL on 127.0.0.1:5432, a database of its own (CLUSTER_DB)
#   Redis (a redis-server of its own on CLUSTER_REDIS_PORT): task broker and cache
#   media on moto's S3 server (CLUSTER_S3_PORT, bucket CLUSTER_BUCKET), no shared folder
#
# Usage:
#   deploy/cluster.sh [up]            start everything in the foreground; Ctrl-C stops all
#   deploy/cluster.sh roll a|b        restart one web node gracefully while the other serves
#   deploy/cluster.sh restart NAME    stop (SIGTERM) and start one process: node-a, worker-b...
#   deploy/cluster.sh kill NAME       SIGKILL one process group (fault drill; restart brings it back)
#   deploy/cluster.sh manage ARGS...  manage.py with the cluster's environment
#
# Every process runs in a process group of its own; its pid is in $CLUSTER_DIR/run/NAME.pid
# and its output in $CLUSTER_DIR/log/NAME.log. All state lives under CLUSTER_DIR
# (default var/cluster/). Environment (defaults in brackets):
#   CLUSTER_DIR [var/cluster]  CLUSTER_PORT [8180]  CLUSTER_NODE_A_PORT [8181]
#   CLUSTER_NODE_B_PORT [8182]  CLUSTER_S3_PORT [8183]  CLUSTER_REDIS_PORT [8184]
#   CLUSTER_DB [aggresmart_cluster]  CLUSTER_PG [postgres://postgres@127.0.0.1:5432]
#   CLUSTER_BUCKET [aggresmart-cluster]  CLUSTER_SETTINGS [backoffice.settings.base]
#   CLUSTER_DEMO [1: load demo data into an empty database]  CLUSTER_WEB_WORKERS [2]
#   CLUSTER_Q_WORKERS [2]  CLUSTER_TEMPLATE [none: a database to copy when creating CLUSTER_DB]
#   and any setting of deploy/env.example (passed through).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PY:-$ROOT/.venv/bin/python}
BIN=$(dirname "$PY")

CLUSTER_DIR=$(mkdir -p "${CLUSTER_DIR:-var/cluster}" && cd "${CLUSTER_DIR:-var/cluster}" && pwd)
PROXY_PORT=${CLUSTER_PORT:-8180}
NODE_A_PORT=${CLUSTER_NODE_A_PORT:-8181}
NODE_B_PORT=${CLUSTER_NODE_B_PORT:-8182}
S3_PORT=${CLUSTER_S3_PORT:-8183}
REDIS_PORT=${CLUSTER_REDIS_PORT:-8184}
DB=${CLUSTER_DB:-aggresmart_cluster}
PG=${CLUSTER_PG:-postgres://postgres@127.0.0.1:5432}
BUCKET=${CLUSTER_BUCKET:-aggresmart-cluster}
RUN=$CLUSTER_DIR/run
LOG=$CLUSTER_DIR/log
mkdir -p "$RUN" "$LOG"

say() { printf '[cluster] %s\n' "$*"; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }

# --- The environment every app process shares (one release, one SECRET_KEY) ------------
[ -s "$CLUSTER_DIR/secret_key" ] || head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$CLUSTER_DIR/secret_key"
export DJANGO_SETTINGS_MODULE=${CLUSTER_SETTINGS:-backoffice.settings.base}
export DEBUG=0
export SECRET_KEY
SECRET_KEY=$(cat "$CLUSTER_DIR/secret_key")
export DATABASE_URL="$PG/$DB"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export AWS_STORAGE_BUCKET_NAME=$BUCKET
export AWS_S3_ENDPOINT_URL="http://127.0.0.1:$S3_PORT"
export AWS_S3_REGION_NAME=us-east-1 AWS_S3_ADDRESSING_STYLE=path
export AWS_ACCESS_KEY_ID=rehearsal AWS_SECRET_ACCESS_KEY=rehearsal
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export CSRF_TRUSTED_ORIGINS=${CSRF_TRUSTED_ORIGINS:-http://127.0.0.1:$PROXY_PORT,http://localhost:$PROXY_PORT}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PROXY_PORT}
export TRUSTED_PROXIES=127.0.0.1,::1 FORWARDED_ALLOW_IPS=127.0.0.1,::1
export MAIL_BACKEND=${MAIL_BACKEND:-file}
export LOG_FORMAT=${LOG_FORMAT:-plain}
export Q_WORKERS=${CLUSTER_Q_WORKERS:-2}
export PYTHONUNBUFFERED=1
# The release's collected static files (nginx serves them); each node has its own VAR_DIR
# otherwise, and its MEDIA_ROOT is never used (media is in the bucket).
RELEASE=$CLUSTER_DIR/release

node_env() {  # NAME -> the variables that differ per process
  case "$1" in
    node-a) echo "VAR_DIR=$CLUSTER_DIR/node-a BIND=127.0.0.1:$NODE_A_PORT" ;;
    node-b) echo "VAR_DIR=$CLUSTER_DIR/node-b BIND=127.0.0.1:$NODE_B_PORT" ;;
    worker-a | worker-b) echo "VAR_DIR=$CLUSTER_DIR/$1 Q_SCHEDULER=1" ;;
    *) return 1 ;;
  esac
}

node_cmd() {  # NAME -> the command line of that process
  case "$1" in
    node-a | node-b)
      echo "$BIN/gunicorn -c $ROOT/deploy/gunicorn.conf.py backoffice.wsgi" ;;
    worker-a | worker-b) echo "$PY $ROOT/manage.py qcluster" ;;
  esac
}

# start NAME CMD... : run CMD in a new session (process group) with output to the log.
start() {
  local name=$1
  shift
  setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

start_app() {  # NAME: a gunicorn node or a qcluster with its own environment
  local name=$1
  # shellcheck disable=SC2046  # word splitting of node_env/node_cmd is intended
  start "$name" env $(node_env "$name") WEB_CONCURRENCY="${CLUSTER_WEB_WORKERS:-2}" \
    GUNICORN_THREADS=4 GUNICORN_MAX_REQUESTS=0 GUNICORN_GRACEFUL_TIMEOUT=20 \
    LOG_LEVEL="${LOG_LEVEL:-WARNING}" $(node_cmd "$name")
}

alive() { [ -s "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# stop NAME [SIGNAL] [SECONDS]: signal the process, wait, then SIGKILL its whole group.
stop() {
  local name=$1 signal=${2:-TERM} wait=${3:-25} pid
  [ -s "$RUN/$name.pid" ] || return 0
  pid=$(cat "$RUN/$name.pid")
  kill "-$signal" "$pid" 2>/dev/null
  for _ in $(seq 1 $((wait * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null
  rm -f "$RUN/$name.pid"
}

wait_http() {  # URL SECONDS [NAME]: until it answers 200 (while process NAME lives)
  local url=$1 seconds=${2:-60} name=${3:-}
  for _ in $(seq 1 $((seconds * 5))); do
    [ -z "$name" ] || alive "$name" || return 1
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url")" = 200 ] && return 0
    sleep 0.2
  done
  return 1
}

node_port() { case "$1" in node-a) echo "$NODE_A_PORT" ;; node-b) echo "$NODE_B_PORT" ;; esac; }

# --- Subcommands that act on a running rehearsal --------------------------------------------
case "${1:-up}" in
  manage)
    shift
    mkdir -p "$CLUSTER_DIR/manage"
    VAR_DIR=$CLUSTER_DIR/manage exec "$PY" manage.py "$@"
    ;;
  kill)
    # Fault drill: SIGKILL a process's whole group (the OOM killer, a lost machine). It
    # stays down, and the rehearsal keeps running, until `restart NAME`.
    name=${2:?kill NAME}
    node_env "$name" >/dev/null || die "unknown process $name (node-a, node-b, worker-a, worker-b)"
    touch "$RUN/$name.restarting"
    [ -s "$RUN/$name.pid" ] && kill -KILL -- "-$(cat "$RUN/$name.pid")" 2>/dev/null
    rm -f "$RUN/$name.pid"
    say "$name killed; bring it back with: deploy/cluster.sh restart $name"
    exit 0
    ;;
  restart)
    name=${2:?restart NAME}
    node_env "$name" >/dev/null || die "unknown process $name (node-a, node-b, worker-a, worker-b)"
    touch "$RUN/$name.restarting"
    stop "$name"
    start_app "$name"
    if [[ $name == node-* ]]; then
      wait_http "http://127.0.0.1:$(node_port "$name")/healthz" 60 "$name" || die "$name did not come back"
    fi
    rm -f "$RUN/$name.restarting"
    say "$name restarted (pid $(cat "$RUN/$name.pid"))"
    exit 0
    ;;
  roll)
    # One web node at a time: SIGTERM (gunicorn stops accepting, finishes its requests;
    # nginx sends new ones to the other node), start it again, wait for /healthz.
    exec "$0" restart "node-${2:?roll a|b}"
    ;;
  up) ;;
  *) die "unknown command $1 (up, roll, restart, kill, manage)" ;;
esac

# --- up: prerequisites ----------------------------------------------------------------------
bash scripts/system-deps.sh cluster || die "could not install the system packages"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || die "nginx is missing"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v redis-server >/dev/null 2>&1 || die "redis-server is missing"
[ -x "$BIN/moto_server" ] || die "moto_server is missing: .venv/bin/pip install -e '.[dev]'"
[ -x "$BIN/gunicorn" ] || die "gunicorn is missing: make install"
pg_isready -h 127.0.0.1 -p 5432 -q || die "PostgreSQL does not answer on 127.0.0.1:5432"
for name in proxy node-a node-b worker-a worker-b s3 redis; do
  alive "$name" && die "a rehearsal already runs from $CLUSTER_DIR ($name, pid $(cat "$RUN/$name.pid"))"
done
rm -f "$RUN"/*.pid "$RUN"/*.restarting "$RUN/ready"

STOPPING=0
cleanup() {
  trap - INT TERM EXIT
  STOPPING=1
  say "stopping"
  rm -f "$RUN/ready"
  # Web first (nginx, then the nodes drain), then the workers, then the stores.
  stop proxy QUIT 10
  local stoppers=()
  stop node-a TERM 25 &
  stoppers+=($!)
  stop node-b TERM 25 &
  stoppers+=($!)
  stop worker-a TERM 30 &
  stoppers+=($!)
  stop worker-b TERM 30 &
  stoppers+=($!)
  wait "${stoppers[@]}"
  stop s3 TERM 5
  stop redis TERM 10
  say "stopped"
}
trap cleanup INT TERM EXIT

# --- Stores: Redis, S3, PostgreSQL ------------------------------------------------------------
mkdir -p "$CLUSTER_DIR/redis"
start redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$CLUSTER_DIR/redis" \
  --appendonly yes --save ""
start s3 "$BIN/moto_server" -H 127.0.0.1 -p "$S3_PORT"
for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || die "redis-server did not start ($LOG/redis.log)"
wait_http "http://127.0.0.1:$S3_PORT/moto-api/" 60 s3 || die "moto_server did not start ($LOG/s3.log)"
"$PY" - <<'EOF' || die "could not create the bucket"
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_S3_ENDPOINT_URL"], region_name="us-east-1")
s3.create_bucket(Bucket=os.environ["AWS_STORAGE_BUCKET_NAME"])
EOF

if ! psql "$PG/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  say "creating database $DB${CLUSTER_TEMPLATE:+ from $CLUSTER_TEMPLATE}"
  psql "$PG/postgres" -qc "CREATE DATABASE \"$DB\"${CLUSTER_TEMPLATE:+ TEMPLATE \"$CLUSTER_TEMPLATE\"}" ||
    die "could not create database $DB"
fi

# --- Release step (once, from one machine) ----------------------------------------------------
say "migrate"
"$PY" manage.py migrate --no-input -v 0 || die "migrate failed"
if [ "${CLUSTER_DEMO:-1}" = 1 ]; then
  if "$PY" manage.py shell -v 0 -c 'from partners.models import Company; print(Company.objects.exists())' | grep -qx False; then
    say "loading demo data (empty database)"
    "$PY" manage.py loaddemo >"$LOG/loaddemo.log" 2>&1 || die "loaddemo failed ($LOG/loaddemo.log)"
  fi
fi
"$PY" manage.py setup_schedules >/dev/null || die "setup_schedules failed"
VAR_DIR=$RELEASE "$PY" manage.py collectstatic --no-input -v 0 || die "collectstatic failed"

# --- nginx in front of the two nodes -------------------------------------------------------------
mkdir -p "$CLUSTER_DIR/nginx"
cat >"$CLUSTER_DIR/nginx/nginx.conf" <<EOF
# Generated by deploy/cluster.sh; the production example is deploy/nginx.conf.example.
daemon off;
worker_processes 1;
pid $CLUSTER_DIR/nginx/nginx.pid;
error_log $LOG/nginx-error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log $LOG/nginx-access.log;
    # Which node answered (a retried request lists both: "127.0.0.1:8181, 127.0.0.1:8182").
    log_format upstream '\$request_method \$uri \$status \$upstream_status \$upstream_addr';
    access_log $LOG/nginx-upstream.log upstream;
    client_body_temp_path $CLUSTER_DIR/nginx/body;
    proxy_temp_path $CLUSTER_DIR/nginx/proxy;
    fastcgi_temp_path $CLUSTER_DIR/nginx/fastcgi;
    uwsgi_temp_path $CLUSTER_DIR/nginx/uwsgi;
    scgi_temp_path $CLUSTER_DIR/nginx/scgi;
    client_max_body_size 60m;

    upstream aggresmart_web {
        server 127.0.0.1:$NODE_A_PORT max_fails=1 fail_timeout=5s;
        server 127.0.0.1:$NODE_B_PORT max_fails=1 fail_timeout=5s;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$PROXY_PORT;
        location /static/ {
            alias $RELEASE/static/;
            expires max;
        }
        location / {
            proxy_pass http://aggresmart_web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host:\$server_port;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Request-ID \$request_id;
            # Rolling restarts: a node that refuses the connection, or drops it before
            # answering, or answers 502/503, is skipped and the request goes to the other
            # one. POSTs too (non_idempotent): a node stopped with SIGTERM finishes what it
            # accepted, so a retried POST was not processed; and checkouts carry an
            # idempotency key, so even a POST retried after a crash places one order.
            # No retry on timeout: a slow request may still be running on its node.
            proxy_next_upstream error http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
EOF
"$NGINX" -t -q -c "$CLUSTER_DIR/nginx/nginx.conf" -e "$LOG/nginx-error.log" 2>>"$LOG/nginx-error.log" ||
  die "nginx refused its configuration ($LOG/nginx-error.log)"

# --- Web nodes, workers, proxy ---------------------------------------------------------------
for name in node-a node-b worker-a worker-b; do start_app "$name"; done
start proxy "$NGINX" -c "$CLUSTER_DIR/nginx/nginx.conf" -e "$LOG/nginx-error.log"
for name in node-a node-b; do
  wait_http "http://127.0.0.1:$(node_port "$name")/healthz" 90 "$name" || die "$name did not answer /healthz ($LOG/$name.log)"
done
wait_http "http://127.0.0.1:$PROXY_PORT/healthz" 30 || die "nginx did not answer ($LOG/nginx-error.log)"
touch "$RUN/ready"

cat <<EOF

  Rehearsal running (state and logs in $CLUSTER_DIR):
    proxy (nginx)     http://127.0.0.1:$PROXY_PORT/            console: http://127.0.0.1:$PROXY_PORT/admin/
    node a (gunicorn) http://127.0.0.1:$NODE_A_PORT/healthz
    node b (gunicorn) http://127.0.0.1:$NODE_B_PORT/healthz
    workers           worker-a, worker-b (qcluster, scheduler on in both)
    PostgreSQL        $PG/$DB
    Redis             redis://127.0.0.1:$REDIS_PORT/0
    S3 (moto)         http://127.0.0.1:$S3_PORT  bucket $BUCKET
  Roll a node:   deploy/cluster.sh roll a
  manage.py:     deploy/cluster.sh manage ...   (same environment)
  Ctrl-C stops everything.

EOF

# --- Watch: a process that dies (not being restarted) stops the rehearsal -----------------------
while [ "$STOPPING" = 0 ]; do
  for name in proxy node-a node-b worker-a worker-b s3 redis; do
    if ! alive "$name" && [ ! -e "$RUN/$name.restarting" ]; then
      sleep 1  # a restart may be between its stop and its start
      if ! alive "$name" && [ ! -e "$RUN/$name.restarting" ]; then
        say "$name exited; see $LOG/$name.log"
        exit 1
      fi
    fi
  done
  sleep 1 &
  wait $! 2>/dev/null
done
