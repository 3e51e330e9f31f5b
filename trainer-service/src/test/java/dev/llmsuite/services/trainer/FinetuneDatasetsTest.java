package dev.llmsuite.services.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.NotificationOptions;
import jakarta.enterprise.util.TypeLiteral;
import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Every dataset is read back from finetune.examples at each boot: what they hold together is capped. */
class FinetuneDatasetsTest {

    /** TrainerConfig with these fine-tuning limits (nothing else is read). */
    private static TrainerConfig limits(Map<String, Object> finetune) {
        Object f = Proxy.newProxyInstance(FinetuneDatasetsTest.class.getClassLoader(), new Class<?>[] {TrainerConfig.Finetune.class},
                (proxy, method, args) -> finetune.get(method.getName()));
        return (TrainerConfig) Proxy.newProxyInstance(FinetuneDatasetsTest.class.getClassLoader(), new Class<?>[] {TrainerConfig.class},
                (proxy, method, args) -> method.getName().equals("finetune") ? f : null);
    }

    private static final Event<FinetuneDatasets.Dataset> IGNORED = new Event<>() {
        public void fire(FinetuneDatasets.Dataset d) {}
        public <U extends FinetuneDatasets.Dataset> CompletionStage<U> fireAsync(U d) { return null; }
        public <U extends FinetuneDatasets.Dataset> CompletionStage<U> fireAsync(U d, NotificationOptions o) { return null; }
        public Event<FinetuneDatasets.Dataset> select(Annotation... q) { return this; }
        public <U extends FinetuneDatasets.Dataset> Event<U> select(Class<U> t, Annotation... q) { return null; }
        public <U extends FinetuneDatasets.Dataset> Event<U> select(TypeLiteral<U> t, Annotation... q) { return null; }
    };

    private static String text(String dataset, int chars) {
        return "{\"dataset\": \"" + dataset + "\", \"text\": \"" + "x".repeat(chars) + "\", \"label\": \"l\"}";
    }

    private static String end(String dataset, int count) {
        return "{\"dataset\": \"" + dataset + "\", \"end\": true, \"count\": " + count + "}";
    }

    @Test
    void theOldestClosedDatasetIsLetGoForRoomAndOpenOnesAreNeverOverTheCap() {
        FinetuneDatasets d = new FinetuneDatasets(new ObjectMapper(),
                limits(Map.of("maxExamples", 1000, "maxTextChars", 1000, "maxHeldChars", 1000L)), new SimpleMeterRegistry(), IGNORED);
        for (int i = 0; i < 4; i++) d.onRecord(text("a", 99)); // 4 x 100 characters (text + label)
        d.onRecord(end("a", 4));
        for (int i = 0; i < 4; i++) d.onRecord(text("b", 99));
        d.onRecord(end("b", 4));
        assertEquals(800, d.heldChars());
        for (int i = 0; i < 3; i++) d.onRecord(text("c", 99)); // 1,100 held: "a" is let go
        assertEquals(700, d.heldChars());
        assertTrue(d.get("a").orElseThrow().error().contains("max-held-chars"), "a job asking for it fails, saying why");
        assertNull(d.get("b").orElseThrow().error());
        for (int i = 0; i < 7; i++) d.onRecord(text("c", 99)); // "b" goes too; then "c" alone is at the cap
        var refused = assertThrows(IllegalArgumentException.class, () -> d.onRecord(text("c", 99)));
        assertTrue(refused.getMessage().contains("max-held-chars"), refused.getMessage());
        assertEquals(1000, d.heldChars());
        assertEquals(List.of(), d.get("b").orElseThrow().labelled());
    }

    @Test
    void aRecordWithoutItsDatasetInTheJsonTakesItFromTheHeaderElseTheKey() {
        FinetuneDatasets d = new FinetuneDatasets(new ObjectMapper(),
                limits(Map.of("maxExamples", 1000, "maxTextChars", 1000, "maxHeldChars", 1000L)), new SimpleMeterRegistry(), IGNORED);
        String example = "{\"text\": \"spam spam\", \"label\": \"spam\"}";
        d.onExample(new ConsumerRecord<>("finetune.examples", 0, 0, "by-key", example));
        ConsumerRecord<String, String> headed = new ConsumerRecord<>("finetune.examples", 0, 1, "ignored-key", example);
        headed.headers().add("llm-dataset", "by-header".getBytes(StandardCharsets.UTF_8));
        d.onExample(headed);
        d.onExample(new ConsumerRecord<>("finetune.examples", 0, 2, "other", text("by-json", 3)));
        assertEquals(1, d.arriving("by-key"));
        assertEquals(1, d.arriving("by-header"));
        assertEquals(1, d.arriving("by-json"), "the JSON's own dataset comes first");
        assertEquals(0, d.arriving("other"));
        for (String key : new String[] {null, "..", "a/b"}) {
            assertThrows(IllegalArgumentException.class, () -> d.onExample(new ConsumerRecord<>("finetune.examples", 0, 3, key, example)), key);
        }
        assertThrows(IllegalArgumentException.class, () -> d.onExample(new ConsumerRecord<>("finetune.examples", 0, 4, "k", null)));
    }
}
