-- wrk script: prints the run's numbers as one JSON line at the end.
-- With BENCH_POST_TICKETS set, each request is POST /api/v1/tickets with a body of its own: the
-- product serial is unique per request (run, thread, counter) and the sites in BENCH_SITES take turns.

local counter = 0
local thread_id = 0
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end

if os.getenv("BENCH_POST_TICKETS") then
  local run = os.getenv("BENCH_RUN") or "run"
  local sites = {}
  for site in string.gmatch(os.getenv("BENCH_SITES") or "SITE-1", "[^,]+") do
    table.insert(sites, site)
  end
  local headers = {["Content-Type"] = "application/json"}
  local template = '{"channel":"hotline","service_type":"onsite","priority":"P2","site":"%s","region":"east",'
    .. '"customer":{"name":"Li Lei","phone":"13800000000","address":"88 Nanjing Road"},'
    .. '"product":{"model":"WM-700","serial":"SN-%s-%d-%d","category":"washing_machine",'
    .. '"purchase_date":"' .. (os.getenv("BENCH_PURCHASE_DATE") or "2025-01-01") .. '","batch":"B2026-03"},'
    .. '"fault":{"symptom_code":"E21","description":"Drum does not spin","first_open_failure":false},'
    .. '"parts":[{"part_no":"PCB-100","qty":1}]}'

  function request()
    counter = counter + 1
    local site = sites[(counter % #sites) + 1]
    return wrk.format("POST", "/api/v1/tickets", headers, string.format(template, site, run, thread_id, counter))
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
