-- wrk: POST /api/v1/login with the seed's form, the same user every time.
-- BENCH_USER is set by scripts/bench-http. With BENCH_DELAY_MS each connection pauses between
-- requests (see pacing.lua), to measure latency below the maximum login rate.
local pacing = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "pacing.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=" .. os.getenv("BENCH_USER") .. "&password=StrongPass123"

if pacing.pause > 0 then pacing.install() end
