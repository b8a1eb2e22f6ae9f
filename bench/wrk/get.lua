-- GET a page of the portal with a signed-in session: the cookie comes from
-- BENCH_COOKIE (bench/cmd/benchrun signs in and passes it).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.method = "GET"
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

done = bench_done
