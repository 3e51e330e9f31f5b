package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.finetune.ClassificationExample;
import dev.llmsuite.finetune.InstructionExample;
import dev.llmsuite.records.Names;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
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
    /** Closed datasets, oldest closed first: the first to go when the examples held reach their cap. */
    private final Map<String, Dataset> closed = Collections.synchronizedMap(new LinkedHashMap<>());
    /** Datasets let go to make room (bounded): their status says so, and a job for one fails instead of waiting. */
    private final Set<String> evicted = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 1000;
        }
    });
    private final ObjectMapper json;
    private final TrainerConfig.Finetune limits;
    private final Event<Dataset> ready;
    /** Characters of every example held, open and closed datasets together (llm.trainer.finetune.max-held-chars). */
    private long heldChars;

    FinetuneDatasets(ObjectMapper json, TrainerConfig config, MeterRegistry registry, Event<Dataset> ready) {
        this.json = json;
        this.limits = config.finetune();
        this.ready = ready;
        registry.gaugeMapSize("llm.trainer.finetune.datasets", Tags.empty(), closed);
        registry.gauge("llm.trainer.finetune.held.chars", this, d -> d.heldChars());
    }

    /** The newest closed version of a dataset, if any; one let go for room reads as failed, saying so. */
    public Optional<Dataset> get(String name) {
        Dataset d = closed.get(name);
        if (d == null && wasEvicted(name)) {
            d = new Dataset(name, List.of(), List.of(), "let go to make room (llm.trainer.finetune.max-held-chars): send it again");
        }
        return Optional.ofNullable(d);
    }

    private synchronized boolean wasEvicted(String name) {
        return evicted.contains(name);
    }

    synchronized long heldChars() {
        return heldChars;
    }

    /**
     * Makes room for an example of {@code chars} characters: the oldest closed datasets are let go (their jobs
     * have them already, or fail saying why); if the open datasets alone fill the cap, the example is refused.
     */
    private synchronized void reserve(String dataset, long chars) {
        while (heldChars + chars > limits.maxHeldChars() && !closed.isEmpty()) {
            String oldest;
            synchronized (closed) {
                oldest = closed.keySet().iterator().next();
            }
            Dataset d = closed.remove(oldest);
            heldChars -= chars(d);
            evicted.add(oldest);
        }
        if (heldChars + chars > limits.maxHeldChars()) {
            throw new IllegalArgumentException("dataset " + dataset + ": the datasets being received hold " + heldChars
                    + " characters, llm.trainer.finetune.max-held-chars is " + limits.maxHeldChars());
        }
        heldChars += chars;
        evicted.remove(dataset);
    }

    private static long chars(Dataset d) {
        long n = 0;
        for (ClassificationExample e : d.labelled()) n += e.text().length() + e.label().length();
        for (InstructionExample e : d.instructions()) n += e.instruction().length() + e.input().length() + e.output().length();
        return n;
    }

    /** Examples received so far for a dataset not yet closed (0 if none). */
    public int arriving(String name) {
        Open o = open.get(name);
        if (o == null) return 0;
        synchronized (o) {
            return o.labelled.size() + o.instructions.size();
        }
    }

    /**
     * A record of finetune.examples; as on corpus.documents, a record whose JSON names no dataset takes it from the
     * header {@code llm-dataset}, else from its key. Anything refused goes to the dead-letter topic with the reason.
     */
    @Incoming("finetune-examples")
    public void onExample(ConsumerRecord<String, String> record) {
        Header header = record.headers().lastHeader("llm-dataset");
        String named = header != null && header.value() != null ? new String(header.value(), StandardCharsets.UTF_8) : record.key();
        accept(record.value(), named);
    }

    /** One example or end record whose JSON names its dataset. */
    void onRecord(String record) {
        accept(record, null);
    }

    private void accept(String record, String datasetOutsideTheJson) {
        if (record == null) throw new IllegalArgumentException("the record has no value");
        JsonNode r;
        try {
            r = json.readTree(record);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        String name = r.hasNonNull("dataset") ? r.path("dataset").asText("") : datasetOutsideTheJson;
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
                ClassificationExample e = new ClassificationExample(text(r, "text"), label);
                reserve(name, e.text().length() + label.length());
                o.labelled.add(e);
            } else if (r.hasNonNull("instruction") && r.hasNonNull("output")) {
                if (!o.labelled.isEmpty()) throw new IllegalArgumentException("dataset " + name + " holds labelled texts, not instructions");
                InstructionExample e = new InstructionExample(text(r, "instruction"), r.hasNonNull("input") ? text(r, "input") : "", text(r, "output"));
                reserve(name, e.instruction().length() + e.input().length() + e.output().length());
                o.instructions.add(e);
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
        synchronized (this) {
            Dataset before = closed.remove(name); // a dataset sent again replaces the older version, and goes last
            if (before != null) heldChars -= chars(before);
            closed.put(name, d);
        }
        ready.fire(d);
    }
}
