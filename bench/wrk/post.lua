-- POST /requests: the CreateInstance form with the session's CSRF token, as
-- a browser sends it. Token is left empty so that the portal generates a
-- unique one for every submission. BENCH_COOKIE and BENCH_CSRF come from
-- bench/cmd/benchrun, which signed in; all connections share the session.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local function enc(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local fields = {
  {"csrf_token", os.getenv("BENCH_CSRF") or ""},
  {"InstanceName", "orders-cache"},
  {"Password", "Sup3rSecretPw"},
  {"InstanceClass", "redis.master.small.default"},
  {"RegionId", "cn-hangzhou"},
  {"ZoneId", "cn-hangzhou-b"},
  {"ChargeType", "PostPaid"},
  {"Period", ""},
  {"Token", ""},
  {"NetworkType", "Classic"},
  {"InstanceType", "Redis"},
  {"EngineVersion", "4.0"},
}
local parts = {}
for _, f in ipairs(fields) do
  parts[#parts + 1] = enc(f[1]) .. "=" .. enc(f[2])
end

wrk.method = "POST"
wrk.body = table.concat(parts, "&")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") or ""

done = bench_done
