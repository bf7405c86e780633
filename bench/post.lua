-- wrk script: every request is a POST of BENCH_BODY with BENCH_CONTENT_TYPE (bench/load.py sets them).
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or ""
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/x-www-form-urlencoded"
