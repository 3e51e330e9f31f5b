package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** ./llm tokenize and detokenize as a user runs them: stdin in, stdout out, one line per line. */
class TokenizeCommandTest {

    private static String run(String stdin, String... args) {
        InputStream in = System.in;
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            int rc = new CommandLine(new LlmCli()).execute(args);
            assertEquals(0, rc);
        } finally {
            System.setIn(in);
            System.setOut(out);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonlGivesOneAnswerPerLineInOrder() {
        String out = run("{\"text\":\"Hello world\"}\n{\"text\":\"a<|endoftext|>b\"}\nnot json\n{\"text\":\"\"}\n",
                "tokenize", "--jsonl");
        String[] lines = out.split("\n");
        assertEquals(4, lines.length);
        assertEquals("{\"ids\":[15496,995]}", lines[0]);
        assertEquals("{\"error\":\"text contains the special token <|endoftext|> at char 1; allow it, or encode it as ordinary text\"}", lines[1]);
        assertEquals(true, lines[2].startsWith("{\"error\":\"not valid JSON"));
        assertEquals("{\"ids\":[]}", lines[3]);
    }

    @Test
    void specialTokenOptionsWorkLikeTiktoken() {
        assertEquals("{\"ids\":[64,50256,65]}\n", run("{\"text\":\"a<|endoftext|>b\"}\n", "tokenize", "--jsonl", "--allowed-special", "all"));
        assertEquals("{\"ids\":[64,50256,65]}\n", run("{\"text\":\"a<|endoftext|>b\"}\n", "tokenize", "--jsonl",
                "--allowed-special", "<|endoftext|>"));
        String ordinary = run("{\"text\":\"a<|endoftext|>b\"}\n", "tokenize", "--jsonl", "--ordinary");
        assertEquals(true, ordinary.startsWith("{\"ids\":[64,27,91,437,1659,5239,91,29,65]}"), ordinary);
    }

    @Test
    void detokenizeJsonlIsLenientAndChecksIds() {
        String out = run("{\"ids\":[15496,995]}\n{\"ids\":[50257]}\n{\"ids\":[171]}\n{\"ids\":[50256]}\n", "detokenize", "--jsonl");
        String[] lines = out.split("\n");
        assertEquals("{\"text\":\"Hello world\"}", lines[0]);
        assertEquals("{\"error\":\"token id 50257 at position 0 is outside the vocabulary (gpt2, 50257 ids)\"}", lines[1]);
        assertEquals("{\"text\":\"\uFFFD\"}", lines[2]);
        assertEquals("{\"text\":\"<|endoftext|>\"}", lines[3]);
    }

    @Test
    void plainModeReadsAllOfStdin() {
        assertEquals("[15496,995,198]\n", run("Hello world\n", "tokenize"));
        assertEquals("Hello world", run("[15496, 995]", "detokenize"));
    }
}
