-- wrk: POST /api/v1/login with the seed's form, the same user every time. BENCH_USER is set by
-- scripts/bench-http. Run with one thread per connection (-tN -cN): each thread is then one
-- client, which, as clients do, waits the Retry-After a 503 or 429 names before its next
-- request. With BENCH_DELAY_MS each client pauses between requests (see pacing.lua), to measure
-- latency below the maximum login rate. Prints the successful logins per second at the end
-- (wrk's own rate counts refusals too).
local pacing = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "pacing.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=" .. os.getenv("BENCH_USER") .. "&password=StrongPass123"

local threads = {}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

init = function(args)
  pacing.seed(index)
  ok, refused, wait = 0, 0, 0
end

delay = function()
  local pause = pacing.delay() + wait
  wait = 0
  return pause
end

response = function(status, headers, body)
  if status == 200 then ok = ok + 1 else refused = refused + 1 end
  if status == 503 or status == 429 then
    wait = (tonumber(headers["Retry-After"] or headers["retry-after"] or "1") or 1) * 1000
  end
end

done = function(summary, latency, requests)
  local succeeded, failed = 0, 0
  for _, thread in ipairs(threads) do
    succeeded = succeeded + thread:get("ok")
    failed = failed + thread:get("refused")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("Logins: %.2f ok/s, %d refused\n", succeeded / seconds, failed))
end
