# Sourced by scripts/bench-http, bench-profile and bench-memory (which set `base` and `port`).
# build_stack: the stack as the image has it (release, Swift runtime linked statically, in the
# scratch path make test-compose builds too); sets `bin`, the executables' directory.
build_stack() {
  local product
  for product in identity token gateway; do
    swift build -c release --static-swift-stdlib --scratch-path .build-static --product "$product"
  done
  bin=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)
}

# start_stack NAME: starts PostgreSQL, Redis, identity, two token instances and the gateway with
# scripts/run-stack, rate limits on as users run them but set too high to refuse anything (every
# check is made); waits until ready, then registers BENCH_USER and logs it in (BENCH_TOKEN). Sets
# `stack`, the run-stack process, for the caller's trap; NAME names the failure message. Uses
# `bin`, set by build_stack or by the caller.
start_stack() {
  export BIN_DIR=$bin CONFIGURATION=release PORT=$port COOKIE_SECURE=false LOG_LEVEL=warning RUN_STATE_DIR=.run/bench
  export RATE_LIMIT_ENABLED=true RATE_LIMIT_DEFAULT=1000000/second RATE_LIMIT_LOGIN=1000000/second RATE_LIMIT_REGISTER=1000000/second
  mkdir -p .run
  scripts/run-stack > .run/bench-stack.log 2>&1 &
  stack=$!
  for _ in $(seq 600); do curl -fs "$base/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fs "$base/health/ready" >/dev/null || { echo "$1: the stack did not start; see .run/bench-stack.log" >&2; return 1; }
  export BENCH_USER="bench_$RANDOM$RANDOM"
  curl -fs -X POST "$base/api/v1/register" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$BENCH_USER\",\"email\":\"$BENCH_USER@example.com\",\"password\":\"StrongPass123\"}" >/dev/null
  BENCH_TOKEN=$(curl -fs -X POST "$base/api/v1/login" -d "username=$BENCH_USER&password=StrongPass123" \
    | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  export BENCH_TOKEN
}
