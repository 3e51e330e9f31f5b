package dev.llmsuite.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JudgeClientTest {

    @Test
    void theBooksScoringPrompt() {
        InstructionExample e = new InstructionExample("Rewrite the sentence using a simile.", "The car is very fast.",
                "The car is as fast as lightning.");
        assertEquals("Given the input `Below is an instruction that describes a task. Write a response that appropriately completes "
                + "the request.\n\n### Instruction:\nRewrite the sentence using a simile.\n\n### Input:\nThe car is very fast.` and "
                + "correct output `The car is as fast as lightning.`, score the model response `The car is as fast as a bullet.` on a "
                + "scale from 0 to 100, where 100 is the best score. Respond with the integer number only.",
                JudgeClient.prompt(e, "The car is as fast as a bullet."));
    }

    @Test
    void scoresAreTheFirstIntegerInRange() {
        assertEquals(85, JudgeClient.parse("85"));
        assertEquals(90, JudgeClient.parse("Score: 90/100"));
        assertNull(JudgeClient.parse("excellent"));
        assertNull(JudgeClient.parse("150"));
        assertNull(JudgeClient.parse(null));
    }

    /** Answers with {@code blocks} × 64 KiB of 'x' and the given status. */
    private static HttpHandler answering(int status, int blocks) {
        return exchange -> {
            exchange.sendResponseHeaders(status, 0);
            byte[] block = "x".repeat(1 << 16).getBytes(StandardCharsets.US_ASCII);
            try (var out = exchange.getResponseBody()) {
                for (int i = 0; i < blocks; i++) out.write(block);
            } catch (IOException gone) {
                // the client stopped reading, as it should
            }
        };
    }

    @Test
    void aJudgesErrorBodyIsCutShortAndAnEndlessAnswerIsNotRead() throws Exception {
        var server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/error/v1/chat/completions", answering(500, 8));     // a 512 KiB error page
        server.createContext("/endless/v1/chat/completions", answering(200, 64));  // 4 MiB that is no answer
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            var failed = assertThrows(IOException.class,
                    () -> new JudgeClient(base + "/error/v1", "j", null).ask("p"));
            assertTrue(failed.getMessage().length() < 300, failed.getMessage().length() + " characters");
            var endless = assertThrows(IOException.class,
                    () -> new JudgeClient(base + "/endless/v1", "j", null).ask("p"));
            assertTrue(endless.getMessage().contains("over"), endless.getMessage());
        } finally {
            server.stop(0);
        }
    }
}
