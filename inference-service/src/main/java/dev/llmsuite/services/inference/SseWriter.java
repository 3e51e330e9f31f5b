package dev.llmsuite.services.inference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events framed as the OpenAI API frames them: {@code data: <json>\n\n} per event and a
 * final {@code data: [DONE]\n\n}. A write that fails means the client is gone: {@link #event} then
 * answers false, which stops the generation.
 */
final class SseWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final OutputStream out;
    private boolean open = true;

    SseWriter(OutputStream out) {
        this.out = out;
    }

    boolean event(Object payload) {
        try {
            return write("data: " + JSON.writeValueAsString(payload) + "\n\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    void done() {
        write("data: [DONE]\n\n");
    }

    private boolean write(String frame) {
        if (!open) return false;
        try {
            out.write(frame.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        } catch (IOException e) {
            open = false;
            return false;
        }
    }
}
