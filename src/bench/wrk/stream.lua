-- A short streaming request in one of the three APIs (STREAM_API: chat, responses or messages), to the bench alias,
-- whose mock upstream speaks chat completions: chat is passed through, responses and messages are translated.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "bench-key")
local api = os.getenv("STREAM_API") or "chat"
if api == "responses" then
  wrk.path = "/v1/responses"
  wrk.body = '{"model":"bench","stream":true,"store":false,"input":"Say something short."}'
elseif api == "messages" then
  wrk.path = "/v1/messages"
  wrk.headers["anthropic-version"] = "2023-06-01"
  wrk.body = '{"model":"bench","stream":true,"max_tokens":64,"messages":[{"role":"user","content":"Say something short."}]}'
else
  wrk.path = "/v1/chat/completions"
  wrk.body = '{"model":"bench","stream":true,"messages":[{"role":"user","content":"Say something short."}]}'
end
