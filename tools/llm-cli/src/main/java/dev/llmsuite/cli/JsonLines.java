package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmsuite.tokenizer.Utf8;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Line-by-line processing of stdin to stdout: lines are read as raw bytes, handled in parallel blocks,
 * and written in input order, one output line per input line.
 */
final class JsonLines {
    private static final int BLOCK = 2048;

    private JsonLines() {}

    /** Answers one parsed request line; whatever it throws becomes that line's {"error": ...}. */
    @FunctionalInterface
    interface Handler {
        ObjectNode answer(JsonNode request) throws Exception;
    }

    /** JSON lines in (strict UTF-8), one JSON answer or {"error": ...} line out per line, in order. */
    static void answer(InputStream in, OutputStream out, Handler handler) throws IOException {
        process(in, out, line -> {
            try {
                return handler.answer(Http.JSON.readTree(Utf8.decodeStrict(line))).toString();
            } catch (Exception e) {
                return Http.JSON.createObjectNode().put("error", LlmCli.oneLine(e)).toString();
            }
        });
    }

    private static void process(InputStream in, OutputStream out, Function<byte[], String> perLine) throws IOException {
        PrintStream w = new PrintStream(new BufferedOutputStream(out, 1 << 16), false, StandardCharsets.UTF_8);
        List<byte[]> block = new ArrayList<>(BLOCK);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        int n;
        boolean pending = false;
        while ((n = in.read(buf)) > 0) {
            for (int i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    block.add(stripCr(line.toByteArray()));
                    line.reset();
                    pending = false;
                    if (block.size() == BLOCK) flush(block, perLine, w);
                } else {
                    line.write(buf[i]);
                    pending = true;
                }
            }
        }
        if (pending) block.add(stripCr(line.toByteArray()));
        flush(block, perLine, w);
        w.flush();
    }

    private static void flush(List<byte[]> block, Function<byte[], String> perLine, PrintStream w) {
        String[] results = new String[block.size()];
        IntStream.range(0, block.size()).parallel().forEach(i -> results[i] = perLine.apply(block.get(i)));
        for (String r : results) w.println(r);
        block.clear();
    }

    private static byte[] stripCr(byte[] line) {
        return line.length > 0 && line[line.length - 1] == '\r' ? Arrays.copyOf(line, line.length - 1) : line;
    }
}
