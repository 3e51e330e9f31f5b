package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.DecodeMode;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./llm detokenize}: ids → text. */
@Command(name = "detokenize", mixinStandardHelpOptions = true,
        description = {"Decode token ids to text.",
                "Plain: stdin is a JSON array of ids; prints the text.",
                "--jsonl: each line is {\"ids\": [...]}; prints {\"text\": ...} or {\"error\": ...} per line, in order."})
final class DetokenizeCommand implements Callable<Integer> {
    @Mixin
    VocabularyOptions vocab;

    @Option(names = "--jsonl", description = "read JSON lines with an 'ids' field")
    boolean jsonl;

    @Option(names = "--strict", description = "fail on ids that decode to invalid UTF-8 (default: U+FFFD, as tiktoken)")
    boolean strict;

    @Override
    public Integer call() throws Exception {
        BpeTokenizer t = vocab.tokenizer();
        DecodeMode mode = strict ? DecodeMode.STRICT : DecodeMode.LENIENT;
        if (!jsonl) {
            int[] ids = ids(Http.JSON.readTree(System.in.readAllBytes()));
            System.out.print(t.decode(ids, mode));
            System.out.flush();
            return 0;
        }
        JsonLines.answer(System.in, System.out, request ->
                Http.JSON.createObjectNode().put("text", t.decode(ids(request == null ? null : request.get("ids")), mode)));
        return 0;
    }

    private static int[] ids(JsonNode node) throws IOException {
        if (node == null || !node.isArray()) throw new IllegalArgumentException("expected {\"ids\": [...]}");
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode n = node.get(i);
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw new IllegalArgumentException("ids[" + i + "] is not an integer: " + n);
            }
            ids[i] = n.intValue();
        }
        return ids;
    }
}
