-- POST /api/v1/requests: the JSON API's submission with a personal access
-- token (BENCH_TOKEN, made by bench/cmd/benchrun with `portal tokens
-- create`), the same values as the form in post.lua. No Idempotency-Key:
-- every call is a new request, with a token the portal generates.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.body = '{"InstanceName": "orders-cache", "Password": "Sup3rSecretPw", "InstanceClass": "redis.master.small.default", ' ..
  '"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-b", "ChargeType": "PostPaid", "NetworkType": "Classic", ' ..
  '"InstanceType": "Redis", "EngineVersion": "4.0"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")

done = bench_done
