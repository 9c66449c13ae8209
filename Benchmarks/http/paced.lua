-- wrk: the URL given, each connection pausing between requests (BENCH_DELAY_MS, BENCH_PACING:
-- see pacing.lua), to measure latency at a fraction of the maximum load.
local pacing = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "pacing.lua")
pacing.install()
