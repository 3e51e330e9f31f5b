// Drives inference-service with the official openai npm client, unchanged: models, completions and
// chat completions, whole and streamed, embeddings (base64, the client's default, and floats), and structured
// output (response_format json_schema, the reply parsed with JSON.parse) and a forced tool call. Prints one JSON line with what it received.
// Usage: node openai-client.mjs BASE_URL MODEL
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "not-needed", maxRetries: 0 });

const models = await client.models.list();
const completion = await client.completions.create({ model, prompt: "Every effort moves you", max_tokens: 8, temperature: 0 });
let streamed = "";
for await (const chunk of await client.completions.create({
  model, prompt: "Every effort moves you", max_tokens: 8, temperature: 0, stream: true,
})) {
  streamed += chunk.choices[0].text;
}
const chat = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Name a color." }], max_tokens: 6, temperature: 0,
});
let chatStreamed = "";
for await (const chunk of await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Name a color." }], max_tokens: 6, temperature: 0, stream: true,
})) {
  chatStreamed += chunk.choices[0].delta.content ?? "";
}
// embeddings: the client asks for base64 unless told otherwise, and decodes it
const embeddings = await client.embeddings.create({ model, input: ["Every effort moves you", "Name a color."] });
const floatEmbeddings = await client.embeddings.create({ model, input: "Every effort moves you", encoding_format: "float" });
// structured output: the client's response_format, parsed here as the client's user would
const structuredChat = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Name a color as JSON." }], max_tokens: 40, temperature: 1, seed: 4,
  response_format: { type: "json_schema", json_schema: { name: "color", strict: true, schema: {
    type: "object", additionalProperties: false, required: ["color", "rgb"],
    properties: { color: { type: "string" }, rgb: { type: "array", items: { type: "integer" } } } } } },
});
const structured = JSON.parse(structuredChat.choices[0].message.content);
// tool calling: a forced call, its arguments parsed as the client's user would
const toolChat = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Weather in Oslo?" }], max_tokens: 64, seed: 2,
  tools: [{ type: "function", function: { name: "get_weather", parameters: {
    type: "object", required: ["city"], properties: { city: { type: "string" } } } } }],
  tool_choice: "required",
});
const toolCall = toolChat.choices[0].message.tool_calls[0];
let error = null;
try {
  await client.completions.create({ model: "no-such-model", prompt: "x" });
} catch (e) {
  error = { status: e.status };
}
console.log(JSON.stringify({
  models: models.data.map((m) => m.id),
  completion: completion.choices[0].text,
  usage: completion.usage,
  streamed,
  chat: chat.choices[0].message.content,
  chatStreamed,
  embeddings: embeddings.data.map((d) => Array.from(d.embedding)),
  floatEmbedding: floatEmbeddings.data[0].embedding,
  structured,
  tool: { finish: toolChat.choices[0].finish_reason, name: toolCall.function.name, arguments: JSON.parse(toolCall.function.arguments) },
  error,
}));
