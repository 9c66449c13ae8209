-- Pauses between requests, for the wrk scripts that measure latency below the maximum load
-- (about_me_paced.lua, refresh.lua, login.lua); each loads this file from its own directory.
-- BENCH_DELAY_MS is the mean pause in milliseconds (fractions allowed; 0 or unset: no pause).
-- Pauses are drawn from an exponential distribution, so the connections send independently of
-- each other, as separate clients do. BENCH_PACING=fixed makes every pause the same (rounded to
-- a millisecond): connections that start together then stay in step and send in bursts (all of
-- them within a millisecond, then nothing), which measures bursts, not the mean rate.
local pacing = {}
pacing.pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local fixed = os.getenv("BENCH_PACING") == "fixed"

-- Each wrk thread has its own Lua state: seed each with its own index, or they draw the same pauses.
function pacing.seed(index)
  math.randomseed(os.time() * 1000 + index)
end

function pacing.delay()
  if fixed or pacing.pause == 0 then return math.floor(pacing.pause + 0.5) end
  return math.floor(-pacing.pause * math.log(1 - math.random()) + 0.5)
end

-- For a script with no setup or init of its own: numbers the threads, seeds each, and pauses.
function pacing.install()
  local threads = 0
  setup = function(thread)
    threads = threads + 1
    thread:set("index", threads)
  end
  init = function(args)
    pacing.seed(index)
  end
  delay = pacing.delay
end

return pacing
