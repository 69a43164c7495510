-- wrk script for bench/run.sh.
--
-- With WRK_PIPELINE=N (N > 1) in the environment, every write carries N
-- requests (HTTP/1.1 pipelining); otherwise wrk sends its static request.
-- At the end it prints one machine-readable line:
--   WRKRESULT requests=.. duration_us=.. p50_us=.. p99_us=.. share=.. connect=.. read=.. write=.. status=.. timeout=..
-- where status counts non-2xx/3xx answers, the last five are socket errors,
-- and share is explained at percentiles below.

local depth = tonumber(os.getenv("WRK_PIPELINE") or "1") or 1

if depth > 1 then
  local batch

  init = function(args)
    local r = {}
    for i = 1, depth do
      r[i] = wrk.format()
    end
    batch = table.concat(r)
  end

  request = function()
    return batch
  end
end

-- percentiles returns p50, p99 (µs) and the share of latency samples they
-- are taken over.
--
-- wrk 4.1 corrects latencies for coordinated omission by adding samples
-- below the smallest recorded one without lowering its minimum, so its
-- percentile walk (over min..max) can miss the rank and answer 0. That
-- happens when a response takes longer than the mean interval between
-- requests, as with pipelining, where wrk records one latency per batch.
-- Then the share of samples inside min..max is found by bisection
-- (percentile(q) is non-zero exactly while q is within that share) and the
-- percentiles are taken over those samples.
local function percentiles(latency)
  local p50, p99 = latency:percentile(50), latency:percentile(99)
  if p50 > 0 and p99 > 0 then
    return p50, p99, 1
  end
  local lo, hi = 0, 100
  for _ = 1, 60 do
    local mid = (lo + hi) / 2
    if latency:percentile(mid) > 0 then lo = mid else hi = mid end
  end
  if lo == 0 then
    return 0, 0, 0
  end
  return latency:percentile(50 * lo / 100), latency:percentile(99 * lo / 100), lo / 100
end

done = function(summary, latency, requests)
  local e = summary.errors
  local p50, p99, share = percentiles(latency)
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d p50_us=%d p99_us=%d share=%.3f connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, p50, p99, share,
    e.connect, e.read, e.write, e.status, e.timeout))
end
