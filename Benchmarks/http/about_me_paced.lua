-- wrk: GET /api/v1/about_me with one access token, each connection pausing BENCH_DELAY_MS
-- between requests, to measure latency at a fraction of the maximum load.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.path = "/api/v1/about_me"
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
delay = function() return pause end
