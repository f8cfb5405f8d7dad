# shellcheck shell=bash
# Sourced by the benchmark scripts: a private redis-server on 127.0.0.1:PORT, its data in
# WORK/redis (dump.rdb is read at start, never written by itself: save it with `redis-cli
# SAVE`), pinned to CPU 1. Waits until it answers PING; sets REDIS_PID and appends it to `pids`.
# start_redis_server WORK_DIR PORT
start_redis_server() {
  local work=$1 port=$2
  mkdir -p "$work/redis"
  taskset -c 1 redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$work/redis" --dbfilename dump.rdb --logfile "$work/redis/redis.log" &
  REDIS_PID=$!
  pids+=("$REDIS_PID")
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "redis-server on port $port did not come up" >&2
  return 1
}
