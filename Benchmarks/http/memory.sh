# Sourced by scripts/bench-http and scripts/bench-memory (which set `bin`, the executables' directory).
# The stack's own processes (not PostgreSQL, Redis or the load), named gateway, identity, token, token.
processes() { pgrep -af "^$bin/(gateway|identity|token) serve" | awk '{name = $2; sub(".*/", "", name); print $1, name}'; }
# Resident memory of each process now (RSS, MiB), and the sums of RSS and of PSS (proportional:
# a page two processes share counts half in each, so the two token instances' shared code counts
# once; PSS is what the stack takes from the machine): "gateway 26.7, identity … | RSS | PSS".
memory() {
  processes | sort -k2 | while read -r pid name; do
    echo "$name $(awk '/^Rss:/{r = $2} /^Pss:/{p = $2} END {printf "%.1f %.1f", r / 1024, p / 1024}' "/proc/$pid/smaps_rollup" 2>/dev/null)"
  done | awk '{printf "%s%s %s", sep, $1, $2; sep = ", "; rss += $2; pss += $3} END {printf " | %.1f | %.1f\n", rss, pss}'
}
