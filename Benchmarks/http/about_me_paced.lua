-- wrk: GET /api/v1/about_me with one access token, each connection pausing between requests
-- (BENCH_DELAY_MS, BENCH_PACING: see pacing.lua), to measure latency at a fraction of the
-- maximum load.
local pacing = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "pacing.lua")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.path = "/api/v1/about_me"

pacing.install()
