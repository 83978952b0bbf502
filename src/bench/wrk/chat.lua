-- A realistic ~1 KB non-streaming chat request, as an OpenAI SDK sends it.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- BENCH_KEY: another of bench.yaml's keys (bench-limited: rate limits and a budget on)
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "bench-key")
wrk.body = '{"model":"bench","max_tokens":256,"temperature":0.7,"messages":[' ..
  '{"role":"system","content":"You are a careful assistant. Answer briefly and cite the part of the question you answer."},' ..
  '{"role":"user","content":"' .. string.rep("Explain how a gateway picks the cheapest healthy upstream for a request. ", 11) .. '"}]}'
