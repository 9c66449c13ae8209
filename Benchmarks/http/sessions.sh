# Sourced by scripts/bench-http and scripts/bench-compare (which set `base` and BENCH_USER).
# sessions N: N logins made before a refresh run, one per session, so that the run measures
# refreshes only; prints their refresh cookies, comma-separated (BENCH_COOKIES for refresh.lua).
sessions() {
  local list= cookie
  for _ in $(seq "$1"); do
    cookie=$(curl -fs -D - -o /dev/null -X POST "$base/api/v1/login" -d "username=$BENCH_USER&password=StrongPass123" \
      | sed -n 's/^[Ss]et-[Cc]ookie: refresh_token=\([^;]*\);.*/\1/p')
    list="$list${list:+,}$cookie"
  done
  echo "$list"
}
