// Drives a served Llama 3 / Qwen3 model with the official openai npm client, unchanged: chat through the model's own
// template (whole and streamed, a tool round in the history), a forced tool call, structured output, embeddings (the
// client's base64), and the 404 for an adapter that is not there. Prints one JSON line.
// Usage: node openai-llama.mjs BASE_URL MODEL
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "not-needed", maxRetries: 0 });
const tools = [{ type: "function", function: { name: "get_weather", parameters: {
  type: "object", required: ["city"], properties: { city: { type: "string" } } } } }];
const messages = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Weather in Oslo?" },
  { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{\"city\": \"Oslo\"}" } }] },
  { role: "tool", tool_call_id: "call_1", content: "{\"temp\": 3}" },
];

const chat = await client.chat.completions.create({ model, messages, tools, max_tokens: 12, temperature: 0 });
let chatStreamed = "";
for await (const chunk of await client.chat.completions.create({ model, messages, tools, max_tokens: 12, temperature: 0, stream: true })) {
  chatStreamed += chunk.choices[0]?.delta?.content ?? "";
}
const toolChat = await client.chat.completions.create({
  model, messages: messages.slice(0, 2), tools, tool_choice: "required", max_tokens: 60, seed: 2,
});
const toolCall = toolChat.choices[0].message.tool_calls[0];
const structuredChat = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "A colour as JSON." }], max_tokens: 80, temperature: 1, seed: 4,
  response_format: { type: "json_schema", json_schema: { name: "c", strict: true, schema: {
    type: "object", additionalProperties: false, required: ["color"], properties: { color: { type: "string" } } } } },
});
const embeddings = await client.embeddings.create({ model, input: ["a cat", "a dog"] });
let error = null;
try {
  await client.completions.create({ model: model + "+no-such-adapter", prompt: "x" });
} catch (e) {
  error = { status: e.status, message: e.message };
}
console.log(JSON.stringify({
  chat: chat.choices[0].message.content,
  chatStreamed,
  usage: chat.usage,
  tool: { finish: toolChat.choices[0].finish_reason, name: toolCall.function.name, arguments: JSON.parse(toolCall.function.arguments) },
  structured: JSON.parse(structuredChat.choices[0].message.content),
  embeddings: embeddings.data.map((d) => Array.from(d.embedding)),
  error,
}));
