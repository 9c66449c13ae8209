-- wrk: one session per thread (run with as many threads as connections), each presenting its
-- newest refresh cookie, as a browser would. BENCH_COOKIES (comma-separated refresh tokens from
-- logins made before the run) gives each thread its session, so only refreshes are measured;
-- a thread without one, or whose session was refused, logs in as BENCH_USER first.
local cookie = nil
local user = os.getenv("BENCH_USER")
-- BENCH_DELAY_MS, BENCH_PACING: pauses between requests, to measure latency at a fraction of
-- the maximum load (see pacing.lua).
local pacing = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "pacing.lua")
delay = pacing.delay

local sessions = {}
for value in string.gmatch(os.getenv("BENCH_COOKIES") or "", "[^,]+") do table.insert(sessions, value) end
local next_session = 1
setup = function(thread)
  if sessions[next_session] then thread:set("session", sessions[next_session]) end
  thread:set("index", next_session)
  next_session = next_session + 1
end

init = function(args)
  cookie = session
  pacing.seed(index)
end

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
