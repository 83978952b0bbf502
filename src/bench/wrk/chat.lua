-- A realistic ~1 KB non-streaming chat request, as an OpenAI SDK sends it.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-key"
wrk.body = '{"model":"bench","max_tokens":256,"temperature":0.7,"messages":[' ..
  '{"role":"system","content":"You are a careful assistant. Answer briefly and cite the part of the question you answer."},' ..
  '{"role":"user","content":"' .. string.rep("Explain how a gateway picks the cheapest healthy upstream for a request. ", 11) .. '"}]}'
