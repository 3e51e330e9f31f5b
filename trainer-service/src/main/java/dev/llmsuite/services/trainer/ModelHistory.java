package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.ModelEvaluation;
import dev.llmsuite.records.ModelPromotion;
import dev.llmsuite.records.Names;
import dev.llmsuite.records.Topics;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Each model's checkpoints, their evaluations and what is promoted, as the topics say it: model.checkpoints,
 * model.evaluations and model.promotions read from their start by every replica (a fresh consumer group each start,
 * like a table materialized from a changelog). The evaluator asks it what is promoted, checkpoint pruning what must
 * stay on disk, the manual promotion which checkpoint a step is, and the dashboard shows it.
 * Bounded: {@link #MAX_MODELS} models (the least recently updated go), {@link #MAX_CHECKPOINTS} checkpoints a model.
 * A record that does not parse or names no valid model is dead-lettered with its reason.
 */
@ApplicationScoped
public class ModelHistory {
    static final int MAX_MODELS = 1000;
    static final int MAX_CHECKPOINTS = 100;

    /** A checkpoint as announced, and its evaluation once there is one. */
    public record Checkpoint(String model, long step, String path, Map<String, Double> metrics, long announcedAtMillis,
                             ModelEvaluation evaluation) {}

    /** A model: its checkpoints newest first and the promotion in force (null: none yet, its newest is served). */
    public record ModelView(String model, ModelPromotion promoted, List<Checkpoint> checkpoints) {}

    private static final class Entry {
        final TreeMap<Long, CheckpointAnnouncement> announced = new TreeMap<>();
        final Map<Long, ModelEvaluation> evaluations = new LinkedHashMap<>();
        ModelPromotion promoted;
    }

    private final Map<String, Entry> models = new LinkedHashMap<>(16, 0.75f, true);
    private final ObjectMapper json;
    private final DashboardEvents events;

    ModelHistory(ObjectMapper json, DashboardEvents events) {
        this.json = json;
        this.events = events;
    }

    @Incoming("model-history")
    @Blocking
    public CompletionStage<Void> onRecord(Message<String> message) {
        String topic = message.getMetadata(IncomingKafkaRecordMetadata.class).map(IncomingKafkaRecordMetadata::getTopic).orElse("");
        try {
            switch (topic) {
                case Topics.CHECKPOINTS -> announced(json.readValue(message.getPayload(), CheckpointAnnouncement.class));
                case Topics.EVALUATIONS -> evaluated(json.readValue(message.getPayload(), ModelEvaluation.class));
                case Topics.PROMOTIONS -> promoted(json.readValue(message.getPayload(), ModelPromotion.class));
                default -> throw new IllegalArgumentException("a record from topic '" + topic + "'");
            }
        } catch (IOException | RuntimeException e) {
            return message.nack(new IllegalArgumentException("not a valid " + topic + " record: " + e.getMessage()));
        }
        return message.ack();
    }

    void announced(CheckpointAnnouncement a) {
        require(a.model(), a.step());
        synchronized (this) {
            Entry e = entry(a.model());
            e.announced.put(a.step(), a);
            while (e.announced.size() > MAX_CHECKPOINTS) e.evaluations.remove(e.announced.pollFirstEntry().getKey());
        }
        events.publish(DashboardEvent.of(view(a, null)));
    }

    void evaluated(ModelEvaluation v) {
        require(v.model(), v.step());
        synchronized (this) {
            Entry e = entry(v.model());
            if (!e.announced.isEmpty() && v.step() < e.announced.firstKey()) return; // long gone
            e.evaluations.put(v.step(), v);
            if (e.evaluations.size() > MAX_CHECKPOINTS) e.evaluations.remove(e.evaluations.keySet().iterator().next());
        }
        events.publish(DashboardEvent.of(v));
    }

    /** A promotion read back from the topic, or just sent by this replica (so its next decision sees it at once). */
    void promoted(ModelPromotion p) {
        require(p.model(), p.step());
        if (p.by() == null) throw new IllegalArgumentException("a promotion says who decided it ('by')");
        synchronized (this) {
            Entry e = entry(p.model());
            ModelPromotion current = e.promoted;
            if (current != null && current.promotedAtMillis() == p.promotedAtMillis() && current.step() == p.step()) return; // our own, read back
            e.promoted = p;
        }
        events.publish(DashboardEvent.of(p));
    }

    private static void require(String model, long step) {
        Names.require("model", model);
        if (step < 0) throw new IllegalArgumentException("step " + step + " is negative");
    }

    private Entry entry(String model) {
        Entry e = models.computeIfAbsent(model, m -> new Entry());
        if (models.size() > MAX_MODELS) models.remove(models.keySet().iterator().next());
        return e;
    }

    synchronized Optional<ModelPromotion> promotion(String model) {
        Entry e = models.get(model);
        return Optional.ofNullable(e == null ? null : e.promoted);
    }

    synchronized boolean isPromoted(String model, long step) {
        Entry e = models.get(model);
        return e != null && e.promoted != null && e.promoted.step() == step;
    }

    /** The announcement of a model's step, as long as this history keeps it. */
    synchronized Optional<CheckpointAnnouncement> announcement(String model, long step) {
        Entry e = models.get(model);
        return Optional.ofNullable(e == null ? null : e.announced.get(step));
    }

    synchronized Optional<ModelEvaluation> evaluation(String model, long step) {
        Entry e = models.get(model);
        return Optional.ofNullable(e == null ? null : e.evaluations.get(step));
    }

    synchronized List<ModelView> all() {
        List<ModelView> out = new ArrayList<>();
        models.forEach((name, e) -> out.add(view(name, e)));
        return out;
    }

    synchronized Optional<ModelView> one(String model) {
        Entry e = models.get(model);
        return e == null ? Optional.empty() : Optional.of(view(model, e));
    }

    private static ModelView view(String model, Entry e) {
        List<Checkpoint> checkpoints = new ArrayList<>();
        e.announced.descendingMap().values().forEach(a -> checkpoints.add(view(a, e.evaluations.get(a.step()))));
        return new ModelView(model, e.promoted, checkpoints);
    }

    private static Checkpoint view(CheckpointAnnouncement a, ModelEvaluation evaluation) {
        return new Checkpoint(a.model(), a.step(), a.path(), a.metrics(), a.createdAtMillis(), evaluation);
    }
}
