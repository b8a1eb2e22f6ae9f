-- GET with a personal access token (BENCH_TOKEN) as the JSON API's
-- Authorization header; the baseline, which checks none, gets it too.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.method = "GET"
wrk.headers["Accept"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

done = bench_done
