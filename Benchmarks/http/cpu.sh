# Sourced by scripts/bench-http and scripts/bench-compare: the CPU time the stack spends per
# request, read from /proc before and after a load (every thread of every process of the stack,
# user and system time, so nothing done for a request on another thread is missed).

# cpu_snapshot BIN_DIR: one line per process of the stack: pid, CPU ticks, voluntary context
# switches (each a wake-up), name.
cpu_snapshot() {
  local pid
  for pid in $(pgrep -f "^$1/(gateway|identity|token) serve" || true) $(pgrep -x postgres || true) $(pgrep -x redis-server || true); do
    [ -r "/proc/$pid/stat" ] && echo "$pid $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null)" \
      "$(cat /proc/"$pid"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/{v += $2} END{print v + 0}')" \
      "$(cat "/proc/$pid/comm" 2>/dev/null)"
  done | sort
}

# cpu_per_request BEFORE AFTER REQUESTS: "TOTAL (gateway G identity I token T redis R postgres P)"
# in CPU milliseconds per request, and "wake-ups per request (…)" after it when WAKEUPS=1. A
# process that started during the run (PostgreSQL opens backends when identity connects) counts
# from zero.
cpu_per_request() {
  join -a 2 -e 0 -o 0,1.2,1.3,2.4,2.2,2.3 <(echo "$1") <(echo "$2") | awk -v requests="$3" -v ticks="$(getconf CLK_TCK)" -v wakeups="${WAKEUPS:-0}" '
    { name = $4 == "redis-server" ? "redis" : $4; used = ($5 - $2) * 1000 / ticks; total += used; by[name] += used; switches[name] += $6 - $3 }
    END {
      if (requests <= 0) { print "—"; exit }
      printf "%.3f (", total / requests
      n = split("gateway identity token redis postgres", order, " ")
      for (i = 1; i <= n; i++) printf "%s%s %.3f", (i > 1 ? " " : ""), order[i], by[order[i]] / requests
      printf ")"
      if (wakeups) {
        printf ", wake-ups per request ("
        for (i = 1; i <= n; i++) printf "%s%s %.2f", (i > 1 ? " " : ""), order[i], switches[order[i]] / requests
        printf ")"
      }
      printf "\n"
    }'
}
