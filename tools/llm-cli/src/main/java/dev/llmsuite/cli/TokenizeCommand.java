package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.SpecialTokenPolicy;
import dev.llmsuite.tokenizer.Utf8;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./llm tokenize}: text on stdin → ids as a JSON array; with --jsonl, one result per line. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Encode stdin into token ids (GPT-2 by default; ids equal tiktoken's).",
                "Plain: all of stdin is one text; prints a JSON array of ids.",
                "--jsonl: each line is {\"text\": ...}; prints {\"ids\": [...]} or {\"error\": ...} per line, in order."})
final class TokenizeCommand implements Callable<Integer> {
    @Mixin
    VocabularyOptions vocab;

    @Option(names = "--jsonl", description = "read JSON lines with a 'text' field")
    boolean jsonl;

    @Override
    public Integer call() throws Exception {
        BpeTokenizer t = vocab.tokenizer();
        SpecialTokenPolicy policy = vocab.policy(t);
        if (!jsonl) {
            String text = Utf8.decodeStrict(System.in.readAllBytes());
            System.out.println(Http.JSON.writeValueAsString(t.encode(text, policy)));
            return 0;
        }
        JsonLines.answer(System.in, System.out, request -> {
            JsonNode text = request == null ? null : request.get("text");
            if (text == null || !text.isTextual()) throw new IllegalArgumentException("expected {\"text\": \"...\"}");
            ObjectNode out = Http.JSON.createObjectNode();
            var arr = out.putArray("ids");
            for (int id : t.encode(text.asText(), policy)) arr.add(id);
            return out;
        });
        return 0;
    }
}
