-- POST a reply through the API with a different body every time (the same text twice in a row
-- is refused as a double submit). BENCH_TOKEN comes from the environment.
local token = os.getenv("BENCH_TOKEN")
local threads = 0

function setup(thread)
  -- Each wrk thread has its own Lua state: number them so their bodies never collide.
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
-- Each wrk run (the warm-up, then the measured run) writes bodies of its own.
local run = os.time()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
request = function()
  counter = counter + 1
  local body = string.format(
    '{"body": "Benchmark reply %d-%d-%d: my squat went up after a deload week, tempo work helps."}',
    run, tid, counter)
  return wrk.format(nil, nil, nil, body)
end
