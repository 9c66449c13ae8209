-- wrk: POST /api/v1/login with the seed's form, the same user every time.
-- BENCH_USER is set by scripts/bench-http.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=" .. os.getenv("BENCH_USER") .. "&password=StrongPass123"
