package dev.llmsuite.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.records.CheckpointAnnouncement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file a reader reads is announced with its hash: for a Llama 3 / Qwen3 checkpoint that includes its tokenizer,
 * generation config, tokenizer config and chat template (inference-service reads them to serve it), so an
 * announcement cannot swap the vocabulary or the template under announced weights.
 */
class AnnouncedCheckpointsTest {
    @TempDir Path root;

    private CheckpointAnnouncement announce(Path dir, Map<String, String> hashes) {
        return new CheckpointAnnouncement("job", "m", 1, root.relativize(dir).toString(), hashes, Map.of(), 0);
    }

    @Test
    void aLlamaCheckpointsTokenFilesMustBeAnnouncedAndMatch() throws IOException {
        Path dir = Files.createDirectories(root.resolve("llama/step-1"));
        Map<String, String> hashes = new LinkedHashMap<>();
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.writeString(dir.resolve(f), f);
            hashes.put(f, CheckpointAnnouncement.sha256(dir.resolve(f)));
        }
        AnnouncedCheckpoints checkpoints = new AnnouncedCheckpoints(root, "llm.inference.checkpoint-dir");
        assertEquals("llama/step-1", checkpoints.verified(announce(dir, hashes)).shown());
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json", "generation_config.json", "chat_template.jinja"}) {
            Files.writeString(dir.resolve(f), "{}");
            IOException e = assertThrows(IOException.class, () -> checkpoints.verified(announce(dir, hashes)), f + " unannounced");
            assertTrue(e.getMessage().contains(f) && e.getMessage().contains("not announced"), e.getMessage());
            hashes.put(f, CheckpointAnnouncement.sha256(dir.resolve(f)));
            checkpoints.verified(announce(dir, hashes));
        }
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ 'a swapped template' }}");
        IOException e = assertThrows(IOException.class, () -> checkpoints.verified(announce(dir, hashes)));
        assertTrue(e.getMessage().contains("differs from announced"), e.getMessage());
    }
}
