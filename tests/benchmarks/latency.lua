-- Prints one line after the run: requests/s, p50, p95 and p99 latency in ms, and the answers
-- that were not 2xx or 3xx (wrk's own --latency report has no p95). Loaded with -s;
-- BENCH_BODY_SCRIPT, when set, names a script that builds the requests (reply.lua).
local body_script = os.getenv("BENCH_BODY_SCRIPT")
if body_script and body_script ~= "" then dofile(body_script) end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT %.2f %.2fms %.2fms %.2fms %d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.status))
end
