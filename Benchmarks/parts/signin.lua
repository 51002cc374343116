-- wrk script for bench.sh: every request is a JSON signin of the bench user.
--   BENCH_USER=... BENCH_PASSWORD=... wrk -s Benchmarks/parts/signin.lua URL/api/auth/signin
-- Both values are made by bench.sh (letters and digits only), so plain string
-- formatting gives valid JSON without an encoder.
local user = os.getenv("BENCH_USER")
local password = os.getenv("BENCH_PASSWORD")
assert(user and password, "signin.lua needs BENCH_USER and BENCH_PASSWORD in the environment")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"username":"%s","password":"%s"}', user, password)
