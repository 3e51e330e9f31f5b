package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.finetune.ClassificationExample;
import dev.llmsuite.finetune.InstructionExample;
import dev.llmsuite.records.Names;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Fine-tuning datasets as they arrive on finetune.examples (JSON, keyed by dataset):
 * {@code {"dataset", "text", "label"}} for classification, {@code {"dataset", "instruction", "input"?, "output"}}
 * for instruction following, and {@code {"dataset", "end": true, "count": N}} to close a dataset. A dataset
 * is ready only when its closing count matches what arrived, so a lost or duplicated example is an error,
 * never a silently different training set. A record that is not one of these (or over the limits) goes
 * to finetune.examples.dlq with its reason. An example after a dataset was closed starts it anew.
 * The topic is the store: on start the trainer reads it from the beginning.
 */
@ApplicationScoped
public class FinetuneDatasets {
    /** A closed dataset (immutable lists), or the reason it cannot be used. */
    public record Dataset(String name, List<ClassificationExample> labelled, List<InstructionExample> instructions, String error) {
        int size() { return labelled.size() + instructions.size(); }
    }

    /** One dataset's examples so far. */
    private static final class Open {
        final List<ClassificationExample> labelled = new ArrayList<>();
        final List<InstructionExample> instructions = new ArrayList<>();
    }

    private final Map<String, Open> open = new ConcurrentHashMap<>();
    private final Map<String, Dataset> closed = new ConcurrentHashMap<>();
    private final ObjectMapper json;
    private final TrainerConfig.Finetune limits;
    private final Event<Dataset> ready;

    FinetuneDatasets(ObjectMapper json, TrainerConfig config, MeterRegistry registry, Event<Dataset> ready) {
        this.json = json;
        this.limits = config.finetune();
        this.ready = ready;
        registry.gaugeMapSize("llm.trainer.finetune.datasets", io.micrometer.core.instrument.Tags.empty(), closed);
    }

    /** The newest closed version of a dataset, if any. */
    public java.util.Optional<Dataset> get(String name) {
        return java.util.Optional.ofNullable(closed.get(name));
    }

    /** Examples received so far for a dataset not yet closed (0 if none). */
    public int arriving(String name) {
        Open o = open.get(name);
        if (o == null) return 0;
        synchronized (o) {
            return o.labelled.size() + o.instructions.size();
        }
    }

    @Incoming("finetune-examples")
    public void onRecord(String record) {
        JsonNode r;
        try {
            r = json.readTree(record);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        String name = r.path("dataset").asText("");
        Names.require("dataset", name);
        if (r.path("end").asBoolean(false)) {
            close(name, r);
            return;
        }
        Open o = open.computeIfAbsent(name, k -> new Open());
        synchronized (o) {
            if (o.labelled.size() + o.instructions.size() >= limits.maxExamples()) {
                throw new IllegalArgumentException("dataset " + name + " is over llm.trainer.finetune.max-examples (" + limits.maxExamples() + ")");
            }
            if (r.hasNonNull("text") && r.hasNonNull("label")) {
                if (!o.instructions.isEmpty()) throw new IllegalArgumentException("dataset " + name + " holds instructions, not labelled texts");
                String label = r.get("label").asText();
                if (label.isBlank() || label.length() > 64) throw new IllegalArgumentException("label must be 1-64 characters");
                o.labelled.add(new ClassificationExample(text(r, "text"), label));
            } else if (r.hasNonNull("instruction") && r.hasNonNull("output")) {
                if (!o.labelled.isEmpty()) throw new IllegalArgumentException("dataset " + name + " holds labelled texts, not instructions");
                o.instructions.add(new InstructionExample(text(r, "instruction"), r.hasNonNull("input") ? text(r, "input") : "", text(r, "output")));
            } else {
                throw new IllegalArgumentException("a record needs text and label, instruction and output, or end and count");
            }
        }
    }

    private String text(JsonNode r, String field) {
        String t = r.get(field).asText();
        if (t.length() > limits.maxTextChars()) {
            throw new IllegalArgumentException(field + " of " + t.length() + " characters is over llm.trainer.finetune.max-text-chars");
        }
        return t;
    }

    /** The closing record: the dataset is ready if every example it counts arrived. */
    private void close(String name, JsonNode r) {
        if (!r.path("count").canConvertToInt()) throw new IllegalArgumentException("an end record needs its count");
        Open o = open.remove(name);
        int count = r.get("count").asInt(), arrived;
        Dataset d;
        if (o == null) {
            arrived = 0;
            d = new Dataset(name, List.of(), List.of(), "no examples arrived before the end record");
        } else {
            synchronized (o) {
                arrived = o.labelled.size() + o.instructions.size();
                d = new Dataset(name, List.copyOf(o.labelled), List.copyOf(o.instructions),
                        arrived == count ? null : "the end record counts " + count + " examples, " + arrived + " arrived");
            }
        }
        closed.put(name, d);
        ready.fire(d);
    }
}
