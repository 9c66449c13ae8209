-- wrk: GET /api/v1/about_me with one access token (BENCH_TOKEN).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.path = "/api/v1/about_me"
