package dev.llmsuite.finetune;

import dev.llmsuite.records.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scores responses with a judge model through any OpenAI-compatible chat endpoint (this suite's
 * inference-service, Ollama's /v1, ...), with the book's prompt: the input, the correct output, the
 * model's response, "score ... from 0 to 100 ... Respond with the integer number only."
 */
public final class JudgeClient {
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI chat;
    private final String model;
    private final String apiKey;

    /** @param baseUrl e.g. http://localhost:8084/v1 */
    public JudgeClient(String baseUrl, String model, String apiKey) {
        this.chat = URI.create(baseUrl.replaceAll("/+$", "") + "/chat/completions");
        this.model = model;
        this.apiKey = apiKey;
    }

    /** The book's scoring prompt (chapter 7.8). */
    public static String prompt(InstructionExample e, String response) {
        String input = AlpacaPrompt.render(e.instruction(), e.input());
        input = input.substring(0, input.length() - "\n\n### Response:\n".length());
        return "Given the input `" + input + "` and correct output `" + e.output() + "`, score the model response `" + response
                + "` on a scale from 0 to 100, where 100 is the best score. Respond with the integer number only.";
    }

    /** The score in a judge's answer: its first integer in 0..100, or null when there is none (unparseable). */
    public static Integer parse(String answer) {
        if (answer == null) return null;
        Matcher m = INTEGER.matcher(answer);
        if (!m.find()) return null;
        try {
            int v = Integer.parseInt(m.group());
            return v >= 0 && v <= 100 ? v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Asks the judge; returns its raw answer. */
    public String ask(String prompt) throws IOException, InterruptedException {
        String body = Json.write(Map.of("model", model, "temperature", 0, "max_tokens", 8,
                "messages", List.of(Map.of("role", "user", "content", prompt))));
        HttpRequest.Builder req = HttpRequest.newBuilder(chat).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (apiKey != null && !apiKey.isEmpty()) req.header("Authorization", "Bearer " + apiKey);
        HttpResponse<InputStream> r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        String answer;
        try (InputStream in = r.body()) {
            byte[] head = in.readNBytes(MAX_ANSWER_BYTES + 1);
            if (head.length > MAX_ANSWER_BYTES) throw new IOException("the judge's answer is over " + MAX_ANSWER_BYTES + " bytes");
            answer = new String(head, StandardCharsets.UTF_8);
        }
        if (r.statusCode() != 200) throw new IOException("judge answered " + r.statusCode() + ": " + shortened(answer));
        try {
            Object choice = ((List<?>) ((Map<?, ?>) Json.parse(answer)).get("choices")).getFirst();
            return (String) ((Map<?, ?>) ((Map<?, ?>) choice).get("message")).get("content");
        } catch (RuntimeException e) {
            throw new IOException("the judge's answer is not a chat completion: " + shortened(answer), e);
        }
    }

    /** A judge's answer is a few tokens: anything longer is not read (a hostile or broken endpoint). */
    static final int MAX_ANSWER_BYTES = 1 << 20;

    /** An answer as an error message quotes it: at most 200 characters (it ends up in a job's status). */
    static String shortened(String answer) {
        return answer.length() <= 200 ? answer : answer.substring(0, 200) + "… (" + answer.length() + " characters)";
    }
}
