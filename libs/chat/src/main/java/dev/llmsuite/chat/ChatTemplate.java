package dev.llmsuite.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.loader.ResourceNotFoundException;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's chat template: the Jinja program in its {@code tokenizer_config.json} (or {@code chat_template.jinja})
 * that turns a conversation into the prompt text it was trained on, rendered as transformers'
 * {@code apply_chat_template} renders it — Jinja2 with {@code trim_blocks} and {@code lstrip_blocks}, {@code tojson}
 * as Python's {@code json.dumps}, {@code raise_exception(message)}, {@code strftime_now(format)}, and the variables
 * {@code messages}, {@code tools}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}.
 *
 * <p>The renderer is HubSpot's Jinjava, with Python's string methods ({@link PythonMethods}) and two source
 * rewrites ({@link JinjavaDialect}). A template is code from a model's files: it reaches no Java object but the
 * strings, lists and dictionaries it is given, and its output, strings, lists and loops are capped
 * ({@link #MAX_OUTPUT_CHARS}, {@code range} to 10,000). Renders are checked against Jinja2 itself
 * (ChatTemplateFixtureTest).
 *
 * <p>Over 250 lines because finding a model's template, turning messages into transformers' dictionaries and
 * configuring Jinjava's limits and Python pieces are one concept: what a render is.
 */
public final class ChatTemplate {
    /** The longest prompt text a render may produce, and the longest string or JSON text within it. */
    public static final int MAX_OUTPUT_CHARS = 4 << 20;
    /** The longest template source read. */
    public static final int MAX_TEMPLATE_CHARS = 1 << 20;
    private static final long MAX_CONFIG_BYTES = 32L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What a render sets itself; further variables (enable_thinking, date_string) cannot. */
    private static final List<String> OWN_VARIABLES = List.of("messages", "tools", "add_generation_prompt", "bos_token", "eos_token");

    private final String text;
    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    public ChatTemplate(String source, String bosToken, String eosToken) {
        if (source.length() > MAX_TEMPLATE_CHARS) {
            throw new ChatTemplateException("the chat template has " + source.length() + " characters (limit " + MAX_TEMPLATE_CHARS + ")");
        }
        this.text = source;
        this.source = JinjavaDialect.rewrite(source);
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinjava = jinjava();
    }

    /**
     * The template a Hugging Face model directory ships: {@code chat_template.jinja} if present, else
     * {@code tokenizer_config.json}'s {@code chat_template} (a string, or a list of named templates of which
     * "default" is taken), with that file's {@code bos_token} and {@code eos_token}. Empty when there is none.
     */
    public static Optional<ChatTemplate> fromModelDirectory(Path dir) throws IOException {
        Map<?, ?> config = Map.of();
        Path configFile = dir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(configFile)) {
            if (Files.size(configFile) > MAX_CONFIG_BYTES) throw new ChatTemplateException(configFile + " is larger than " + MAX_CONFIG_BYTES + " bytes");
            if (!(JSON.readValue(configFile.toFile(), Object.class) instanceof Map<?, ?> map)) {
                throw new ChatTemplateException(configFile + " is not a JSON object");
            }
            config = map;
        }
        String template = null;
        Path templateFile = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(templateFile)) {
            if (Files.size(templateFile) > 4L * MAX_TEMPLATE_CHARS) throw new ChatTemplateException(templateFile + " is too large");
            template = Files.readString(templateFile);
        } else {
            template = templateIn(config.get("chat_template"));
        }
        if (template == null) return Optional.empty();
        return Optional.of(new ChatTemplate(template, tokenText(config.get("bos_token")), tokenText(config.get("eos_token"))));
    }

    /** chat_template is a string, or a list of {"name", "template"} of which "default" is the one used. */
    private static String templateIn(Object value) {
        if (value instanceof String s) return s;
        if (value instanceof List<?> named) {
            for (Object entry : named) {
                if (entry instanceof Map<?, ?> m && "default".equals(m.get("name")) && m.get("template") instanceof String s) return s;
            }
            throw new ChatTemplateException("tokenizer_config.json lists chat templates but none named \"default\"");
        }
        return null;
    }

    /** bos_token and eos_token are strings, or AddedToken dictionaries with a "content". */
    private static String tokenText(Object value) {
        if (value instanceof String s) return s;
        if (value instanceof Map<?, ?> m && m.get("content") instanceof String s) return s;
        return null;
    }

    /** The template as the model ships it (to carry into another format: GGUF's tokenizer.chat_template). */
    public String text() {
        return text;
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    /** The prompt for a conversation, ending with the assistant's header when addGenerationPrompt. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, List.of(), addGenerationPrompt, Map.of());
    }

    /**
     * The prompt for a conversation with the tools offered (OpenAI's tool objects, {@code {"type": "function",
     * "function": {...}}}; none: the template sees no {@code tools}) and further variables (e.g. Qwen3's
     * {@code enable_thinking}, Llama's {@code date_string}).
     */
    public String render(List<ChatMessage> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt, Map<String, Object> variables) {
        for (String own : OWN_VARIABLES) {
            if (variables.containsKey(own)) throw new ChatTemplateException("template variables cannot set '" + own + "': the conversation and the model set it");
        }
        Map<String, Object> context = new LinkedHashMap<>(variables);
        context.put("messages", messages.stream().map(ChatTemplate::asDictionary).toList());
        if (!tools.isEmpty()) context.put("tools", tools);
        context.put("add_generation_prompt", addGenerationPrompt);
        if (bosToken != null) context.putIfAbsent("bos_token", bosToken);
        if (eosToken != null) context.putIfAbsent("eos_token", eosToken);
        RenderResult result;
        try {
            result = jinjava.renderForResult(source, context);
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new ChatTemplateException("the chat template failed: " + e.getMessage());
        }
        for (TemplateError error : result.getErrors()) {
            // Jinja2 raises where Jinjava warns of an exception (a macro past its recursion limit renders nothing)
            if (error.getSeverity() == TemplateError.ErrorType.FATAL || error.getReason() == TemplateError.ErrorReason.EXCEPTION) {
                throw new ChatTemplateException(messageOf(error));
            }
        }
        return result.getOutput();
    }

    /** The template's own words for raise_exception and our limits; Jinjava's message otherwise. */
    private static String messageOf(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof ChatTemplateException e) return e.getMessage();
        }
        return "the chat template failed at line " + error.getLineno() + ": " + error.getMessage();
    }

    /** A message as transformers' dictionaries look: absent fields left out, tool-call arguments parsed. */
    private static Map<String, Object> asDictionary(ChatMessage message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", message.role());
        m.put("content", message.content() == null ? "" : message.content());
        if (message.reasoningContent() != null) m.put("reasoning_content", message.reasoningContent());
        if (!message.toolCalls().isEmpty()) {
            List<Map<String, Object>> calls = new ArrayList<>();
            for (ChatMessage.ToolCall call : message.toolCalls()) {
                Map<String, Object> function = new LinkedHashMap<>();
                function.put("name", call.name());
                function.put("arguments", parsedArguments(call.arguments()));
                Map<String, Object> c = new LinkedHashMap<>();
                if (call.id() != null) c.put("id", call.id());
                c.put("type", "function");
                c.put("function", function);
                calls.add(c);
            }
            m.put("tool_calls", calls);
        }
        if (message.toolCallId() != null) m.put("tool_call_id", message.toolCallId());
        return m;
    }

    /** Arguments that are a JSON object reach the template as a dictionary, as transformers expects; else the text. */
    private static Object parsedArguments(String arguments) {
        try {
            Object parsed = JSON.readValue(arguments, Object.class);
            return parsed instanceof Map<?, ?> ? parsed : arguments;
        } catch (JsonProcessingException e) {
            return arguments;
        }
    }

    private static Jinjava jinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods(MAX_OUTPUT_CHARS));
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withMaxStringLength(MAX_OUTPUT_CHARS)
                .withMaxListSize(100_000)
                .withMaxMapSize(100_000)
                .withRangeLimit(10_000)
                .withMaxRenderDepth(10)
                .withMaxMacroRecursionDepth(20)
                .withEnableRecursiveMacroCalls(false)
                .withNestedInterpretationEnabled(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withAllowAdjacentTextNodes(true)
                        .withUsePyishObjectMapper(true)
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        // include, import and from would read files or class-path resources into the prompt: a template reads none.
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new ResourceNotFoundException("a chat template reads no files (" + name + ")");
        });
        jinjava.getGlobalContext().registerFilter(new TojsonFilter(MAX_OUTPUT_CHARS));
        jinjava.getGlobalContext().registerFilter(new ItemsFilter());
        jinjava.getGlobalContext().registerFilter(new TrimFilter());
        jinjava.getGlobalContext().registerExpTest(new IterableTest());
        jinjava.getGlobalContext().registerFunction(function("raise_exception", "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(function("strftime_now", "strftimeNow", String.class));
        return jinjava;
    }

    private static ELFunctionDefinition function(String name, String method, Class<?>... parameters) {
        try {
            Method m = ChatTemplate.class.getDeclaredMethod(method, parameters);
            m.setAccessible(true);
            return new ELFunctionDefinition("", name, m);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /** raise_exception(message): the template refuses the conversation. */
    private static Object raiseException(String message) {
        throw new ChatTemplateException(message);
    }

    /** strftime_now(format): now, in the strftime directives templates use (Llama 3.1+ asks for "%d %b %Y"). */
    private static String strftimeNow(String format) {
        ZonedDateTime now = ZonedDateTime.now();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char directive = format.charAt(++i);
            String pattern = switch (directive) {
                case 'd' -> "dd";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'm' -> "MM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case '%' -> "'%'";
                default -> throw new ChatTemplateException("strftime_now: %" + directive + " is not supported");
            };
            out.append(now.format(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH)));
        }
        return out.toString();
    }
}
