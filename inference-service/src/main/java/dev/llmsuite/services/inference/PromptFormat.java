package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.chat.ChatMessage;
import dev.llmsuite.chat.ChatPrompt;
import dev.llmsuite.chat.ChatTemplate;
import dev.llmsuite.chat.ChatTemplateException;
import dev.llmsuite.chat.ModelTokens;
import dev.llmsuite.records.Gpt2;
import dev.llmsuite.records.Json;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.SpecialTokenPolicy;
import dev.llmsuite.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a served model's prompts are written and turned into ids, and where its answers end:
 *
 * <pre>
 *                     GPT-2 (the book's models)                 a model with its own tokens (Llama 3, Qwen3)
 *   tokenizer         GPT-2's BPE                               its tokenizer.json
 *   completion        the prompt, &lt;|endoftext|&gt; spelled in it      BOS when add_bos_token, then the prompt (special
 *                     is that token                             spellings are those tokens, as vLLM and llama.cpp read one)
 *   chat              the book's Alpaca template (single turn),  the model's own chat template, multi-turn, tools and
 *                     tools described in its input              tool rounds as transformers hands them over (ChatPrompt:
 *                                                               a message spelling an added token is refused)
 *   ends              &lt;|endoftext|&gt;                            its eos_token_id(s)
 * </pre>
 */
sealed interface PromptFormat {

    /** A prompt's text (counted against llm.inference.max-prompt-chars before it is encoded) and how to encode it. */
    record Prompt(String text, boolean templated) {}

    TextTokenizer tokenizer();

    /** The tokens that end an answer (not emitted). */
    Set<Integer> ends();

    /** The end token a constrained answer ({@link StructuredOutput}) closes with. */
    int endOfText();

    /**
     * The text of a chat's prompt; 400 for a conversation the format cannot write. templateKwargs: further variables
     * for a model's own chat template (a JSON object, or null).
     */
    Prompt chat(List<ChatRequest.Message> messages, ToolCalls.Choice tools, JsonNode templateKwargs);

    /** A completion's prompt as ids. */
    int[] encode(Prompt prompt);

    /** A text to embed: a user's text as text (special spellings stay characters), after BOS when the model adds one. */
    int[] encodeInput(String text);

    default Prompt completion(String text) {
        return new Prompt(text, false);
    }

    /** GPT-2's vocabulary: completions as written, chats through the book's Alpaca template. */
    record Gpt2Prompts(BpeTokenizer tokenizer) implements PromptFormat {
        @Override
        public Set<Integer> ends() {
            return Set.of(Gpt2.END_OF_TEXT);
        }

        @Override
        public int endOfText() {
            return Gpt2.END_OF_TEXT;
        }

        @Override
        public Prompt chat(List<ChatRequest.Message> messages, ToolCalls.Choice tools, JsonNode templateKwargs) {
            if (templateKwargs != null && !templateKwargs.isNull()) {
                throw ProblemException.badRequest("'chat_template_kwargs' needs a model with its own chat template; this one writes the book's");
            }
            return new Prompt(AlpacaTemplate.render(messages, ToolCalls.describe(tools)), true);
        }

        @Override
        public int[] encode(Prompt prompt) {
            return tokenizer.encode(prompt.text(), SpecialTokenPolicy.ALLOW_ALL);
        }

        @Override
        public int[] encodeInput(String text) {
            return tokenizer.encodeOrdinary(text);
        }
    }

    /** A model directory's own tokens ({@link ModelTokens}): its tokenizer.json, BOS, end ids and chat template. */
    record ModelPrompts(ModelTokens tokens) implements PromptFormat {

        @Override
        public TextTokenizer tokenizer() {
            return tokens.tokenizer();
        }

        @Override
        public Set<Integer> ends() {
            return Set.copyOf(tokens.ends());
        }

        @Override
        public int endOfText() {
            if (tokens.ends().isEmpty()) throw ProblemException.badRequest("this model names no eos_token_id: a constrained answer could not end");
            return tokens.eos();
        }

        @Override
        public Prompt chat(List<ChatRequest.Message> messages, ToolCalls.Choice tools, JsonNode templateKwargs) {
            ChatTemplate template = tokens.chatTemplate().orElseThrow(() -> ProblemException.badRequest(
                    "this model ships no chat template (chat_template.jinja or tokenizer_config.json): use /v1/completions"));
            if (messages == null || messages.isEmpty()) throw ProblemException.badRequest("'messages' must hold at least one message");
            List<ChatMessage> conversation = new ArrayList<>();
            long chars = 0;
            for (ChatRequest.Message m : messages) {
                ChatMessage message = message(m);
                conversation.add(message);
                chars += message.content() == null ? 0 : message.content().length();
                for (ChatMessage.ToolCall call : message.toolCalls()) chars += call.arguments().length();
            }
            // chat templates write every message: a conversation longer than a prompt may be is refused before Jinjava renders it
            if (chars > ChatTemplate.MAX_OUTPUT_CHARS) {
                throw ProblemException.tooLarge("the messages hold " + chars + " chars; a prompt is at most " + ChatTemplate.MAX_OUTPUT_CHARS);
            }
            try {
                // ChatPrompt refuses text that spells an added token; the rendered text is encoded with them (encode)
                return new Prompt(ChatPrompt.render(tokens.tokenizer(), template, conversation, ToolCalls.forTemplate(tools), true,
                        variables(templateKwargs)), true);
            } catch (ChatTemplateException e) {
                throw ProblemException.badRequest("the model's chat template refused the conversation: " + e.getMessage());
            }
        }

        /** A JSON object's values as plain Java (the template's own variables, messages and the like, it refuses). */
        private static Map<String, Object> variables(JsonNode kwargs) {
            if (kwargs == null || kwargs.isNull()) return Map.of();
            if (!kwargs.isObject()) throw ProblemException.badRequest("'chat_template_kwargs' must be a JSON object");
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<?, ?>) Json.parse(kwargs.toString())).forEach((k, v) -> out.put((String) k, v));
            return out;
        }

        /** A request's message as the template sees it: an assistant's tool calls with their arguments, a tool's call id. */
        private static ChatMessage message(ChatRequest.Message m) {
            ChatRequest.Message.requireRoleAndContent(m);
            List<ChatMessage.ToolCall> made = new ArrayList<>();
            if (m.callsTools()) {
                for (ToolCalls.ToolCall c : m.toolCalls()) {
                    if (c == null || c.function() == null || c.function().name() == null || c.function().arguments() == null) {
                        throw ProblemException.badRequest("a tool call needs a 'function' with a 'name' and 'arguments'");
                    }
                    made.add(new ChatMessage.ToolCall(c.id(), c.function().name(), c.function().arguments()));
                }
            }
            return new ChatMessage(m.role(), m.content(), null, made, m.toolCallId());
        }

        @Override
        public int[] encode(Prompt prompt) {
            // a rendered template writes its own BOS
            return prompt.templated() ? tokens.tokenizer().encodeWithSpecialTokens(prompt.text()) : tokens.encodePrompt(prompt.text());
        }

        @Override
        public int[] encodeInput(String text) {
            return tokens.encodeText(text);
        }
    }
}
