// The official OpenAI SDK (npm `openai`) pointed at `fieldlm serve` with
// baseURL: chat completions whole and streamed, text completions, the
// model list, errors as the SDK's own classes, and the bearer token.
//
//   node openai_sdk.mjs BASE_URL TOKEN EASY_PROMPT HARD_PROMPT
//
// BASE_URL is "http://127.0.0.1:PORT/v1"; TOKEN the server's auth_token.
// Prints one line per check; exits 1 at the first failure.
import OpenAI from "openai";

const [baseURL, token, easy, hard] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: token, maxRetries: 0, timeout: 30000 });

function check(cond, what, detail) {
  if (!cond) {
    console.log(`FAIL ${what}${detail !== undefined ? ": " + JSON.stringify(detail) : ""}`);
    process.exit(1);
  }
  console.log(`ok   ${what}`);
}

// ---- whole answers: the route in the header, the model and usage in the body
{
  const { data, response } = await client.chat.completions
    .create({ model: "auto", messages: [{ role: "user", content: easy }], max_tokens: 16 })
    .withResponse();
  const text = data.choices[0].message.content;
  check(response.headers.get("x-fieldlm-route") === "local:confident", "easy: local:confident",
        response.headers.get("x-fieldlm-route"));
  check(data.object === "chat.completion" && data.model === "stories260K", "easy: local model", data.model);
  check(typeof text === "string" && text.length > 0, "easy: an answer", text);
  check(data.usage.completion_tokens === 16 &&
        data.usage.total_tokens === data.usage.prompt_tokens + 16, "easy: usage", data.usage);
  check(data.choices[0].finish_reason === "length", "easy: finish_reason length");
}
{
  const { data, response } = await client.chat.completions
    .create({ model: "auto", messages: [{ role: "system", content: "Be brief." },
                                        { role: "user", content: hard }] })
    .withResponse();
  check(response.headers.get("x-fieldlm-route") === "cloud:difficulty", "hard: cloud:difficulty",
        response.headers.get("x-fieldlm-route"));
  check(data.model === "sim-model-1", "hard: the cloud's model", data.model);
  check(data.choices[0].message.content === "Echo: " + hard, "hard: the cloud's answer",
        data.choices[0].message.content);
  check(data.usage.prompt_tokens === 6 && data.usage.completion_tokens === 7, "hard: the cloud's usage",
        data.usage);
}

// ---- streamed: chunks as they come, usage at the end
{
  const stream = await client.chat.completions.create({
    model: "auto", messages: [{ role: "user", content: easy }], max_tokens: 20, stream: true,
    stream_options: { include_usage: true },
  });
  let text = "", chunks = 0, usage = null, finish = null, model = null, objects = true;
  for await (const chunk of stream) {
    objects = objects && chunk.object === "chat.completion.chunk";
    model = chunk.model;
    if (chunk.choices.length) {
      const c = chunk.choices[0];
      if (c.delta && c.delta.content) { text += c.delta.content; chunks++; }
      if (c.finish_reason) finish = c.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  check(objects, "stream: chat.completion.chunk objects");
  check(chunks >= 5, `stream: ${chunks} content chunks`);
  check(model === "stories260K" && finish === "length", "stream: local model, finish_reason", { model, finish });
  check(usage && usage.completion_tokens === 20, "stream: usage chunk", usage);
  // greedy: the same text whole
  const whole = await client.chat.completions.create({
    model: "auto", messages: [{ role: "user", content: easy }], max_tokens: 20 });
  check(whole.choices[0].message.content === text, "stream: the same text as whole", { text });
}
{
  const stream = await client.chat.completions.create({
    model: "auto", messages: [{ role: "user", content: hard }], stream: true });
  let text = "";
  for await (const chunk of stream)
    if (chunk.choices.length && chunk.choices[0].delta.content) text += chunk.choices[0].delta.content;
  check(text === "Echo: " + hard, "stream: the cloud's answer", text);
}

// ---- text completions and models
{
  const r = await client.completions.create({ model: "auto", prompt: "Once upon a time", max_tokens: 8 });
  check(r.object === "text_completion" && r.choices[0].text.length > 0 && r.usage.completion_tokens === 8,
        "completions: whole", r);
  const stream = await client.completions.create({ model: "auto", prompt: "Once upon a time", max_tokens: 8,
                                                   stream: true });
  let text = "";
  for await (const chunk of stream) text += chunk.choices.length ? chunk.choices[0].text : "";
  check(text === r.choices[0].text, "completions: streamed the same", { text, whole: r.choices[0].text });
  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  check(models.join(",") === "stories260K,sim-model-1", "models.list", models);
  const m = await client.models.retrieve("stories260K");
  check(m.id === "stories260K", "models.retrieve");
}

// ---- errors: the SDK's classes with the server's error object
try {
  await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "hi" }],
                                         temperature: 7 });
  check(false, "400 expected");
} catch (e) {
  check(e instanceof OpenAI.BadRequestError && e.status === 400, "400: BadRequestError", e.status);
  check(e.param === "temperature" && e.code === "invalid_value" && e.type === "invalid_request_error",
        "400: param, code, type", { param: e.param, code: e.code, type: e.type });
}
try {
  const wrong = new OpenAI({ baseURL, apiKey: token + "x", maxRetries: 0 });
  await wrong.models.list();
  check(false, "401 expected");
} catch (e) {
  check(e instanceof OpenAI.AuthenticationError && e.status === 401, "401: AuthenticationError", e.status);
}
try {
  await client.models.retrieve("gpt-9");
  check(false, "404 expected");
} catch (e) {
  check(e instanceof OpenAI.NotFoundError && e.code === "model_not_found", "404: NotFoundError", e.code);
}
console.log("openai sdk ok");
