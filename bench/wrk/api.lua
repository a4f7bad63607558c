-- wrk script of the benchmark harness (bench/load.py runs it; see the README, "Performance").
--
-- Everything comes from the environment, so one script serves every endpoint:
--   BENCH_MODE     get | list | create | login
--   BENCH_TOKEN    access token (Authorization: Bearer ...)
--   BENCH_TENANT   tenant id (X-Tenant-ID); unset under tenancy=none
--   BENCH_PROJECT  project id read by "get"
--   BENCH_PREFIX   prefix of the project names "create" invents (unique per load run)
--   BENCH_EMAIL, BENCH_PASSWORD  the credentials "login" posts (anonymous: no token, no tenant)
-- done() prints one JSON line (prefixed "BENCH_RESULT ") with counts and latency percentiles.

local mode = os.getenv("BENCH_MODE")
local prefix = os.getenv("BENCH_PREFIX") or "bench"

if mode == "login" then
  wrk.method = "POST"
  wrk.path = "/api/v1/auth/login"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = string.format('{"email":"%s","password":"%s"}',
    os.getenv("BENCH_EMAIL"), os.getenv("BENCH_PASSWORD"))
else
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  wrk.headers["X-Tenant-ID"] = os.getenv("BENCH_TENANT") -- nil (no header) without tenants
end

if mode == "login" then
  -- a static request: the same credentials every time
elseif mode == "get" then
  wrk.path = "/api/v1/projects/" .. os.getenv("BENCH_PROJECT")
elseif mode == "list" then
  wrk.path = "/api/v1/projects?limit=20"
elseif mode == "create" then
  -- Only the write needs a request function (unique names); reads stay static requests.
  local counter = 0
  local threads = {}

  function setup(thread)
    table.insert(threads, thread)
    thread:set("thread_id", #threads)
  end

  function init(args)
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end

  function request()
    counter = counter + 1
    -- thread_id: a global of this thread's Lua state, set by setup() in the main state.
    local body = string.format('{"name":"%s-%d-%d"}', prefix, thread_id, counter)
    return wrk.format(nil, "/api/v1/projects", nil, body)
  end
else
  error("BENCH_MODE must be get, list, create or login, not " .. tostring(mode))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
