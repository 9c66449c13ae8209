-- wrk: GET /api/v1/about_me with one access token, each connection pausing between requests,
-- to measure latency at a fraction of the maximum load.
-- BENCH_DELAY_MS is the mean pause in milliseconds (fractions allowed). Pauses are drawn from an
-- exponential distribution, so the connections send independently of each other, as separate
-- clients do. BENCH_PACING=fixed makes every pause the same (rounded to a millisecond):
-- connections that start together then stay in step and send in bursts (all of them within a
-- millisecond, then nothing), which measures bursts, not the mean rate.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.path = "/api/v1/about_me"
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local fixed = os.getenv("BENCH_PACING") == "fixed"

-- Each wrk thread has its own Lua state: seed each differently, or they draw the same pauses.
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("index", threads)
end

init = function(args)
  math.randomseed(os.time() * 1000 + index)
end

delay = function()
  if fixed or pause == 0 then return math.floor(pause + 0.5) end
  return math.floor(-pause * math.log(1 - math.random()) + 0.5)
end
