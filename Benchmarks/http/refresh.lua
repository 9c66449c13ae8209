-- wrk: one session per thread (run with as many threads as connections): the first request
-- logs in, every next one presents the newest refresh cookie, as a browser would.
local cookie = nil
local user = os.getenv("BENCH_USER")
-- BENCH_DELAY_MS: a pause between requests, to measure latency at a fraction of the maximum load.
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
delay = function() return pause end

request = function()
  if cookie == nil then
    return wrk.format("POST", "/api/v1/login", { ["Content-Type"] = "application/x-www-form-urlencoded" },
      "username=" .. user .. "&password=StrongPass123")
  end
  return wrk.format("POST", "/api/v1/refresh", { ["Cookie"] = "refresh_token=" .. cookie }, "")
end

response = function(status, headers, body)
  local set = headers["Set-Cookie"] or headers["set-cookie"]
  if set then
    local value = string.match(set, "refresh_token=([^;]+)")
    if value and value ~= '""' then cookie = value end
  end
  if status ~= 200 then cookie = nil end
end
