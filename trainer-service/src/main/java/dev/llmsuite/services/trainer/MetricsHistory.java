package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Names;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Every job's training curve, read back from {@code training.metrics} from its start (every replica's jobs, and what
 * was trained before this process started), for the dashboard's history; each step also goes to the live stream.
 * Bounded: at most {@link #MAX_JOBS} jobs (the least recently updated go) and {@link #MAX_POINTS} points a job (when
 * full, every other point is dropped, so a long run keeps its whole shape at half the resolution). A record that is
 * not a step of a validly named job is dead-lettered with its reason.
 */
@ApplicationScoped
public class MetricsHistory {
    static final int MAX_JOBS = 200;
    static final int MAX_POINTS = 2000;
    static final int MAX_SAMPLE_CHARS = 2000;

    /** A job's curve; points in step order. */
    public record Series(String job, String dataset, List<StepMetrics> points) {}

    private final Map<String, Series> series = new LinkedHashMap<>(16, 0.75f, true);
    private final ObjectMapper json;
    private final DashboardEvents events;

    MetricsHistory(ObjectMapper json, DashboardEvents events) {
        this.json = json;
        this.events = events;
    }

    @Incoming("metrics-history")
    @Blocking
    public CompletionStage<Void> onMetrics(Message<String> message) {
        StepMetrics step;
        try {
            step = json.readValue(message.getPayload(), StepMetrics.class);
            check(step);
        } catch (IOException | RuntimeException e) {
            return message.nack(new IllegalArgumentException("not a training step: " + e.getMessage()));
        }
        add(step);
        events.publish(DashboardEvent.of(step));
        return message.ack();
    }

    private static void check(StepMetrics s) {
        if (s == null) throw new IllegalArgumentException("null");
        Names.require("job", s.job());
        Names.require("dataset", s.dataset());
        if (s.step() < 0) throw new IllegalArgumentException("step " + s.step() + " is negative");
        if (s.sample() != null && s.sample().length() > MAX_SAMPLE_CHARS) throw new IllegalArgumentException("sample over " + MAX_SAMPLE_CHARS + " characters");
    }

    synchronized void add(StepMetrics step) {
        Series s = series.computeIfAbsent(step.job(), job -> new Series(job, step.dataset(), new ArrayList<>()));
        List<StepMetrics> points = s.points();
        if (!points.isEmpty() && points.getLast().step() >= step.step()) {
            points.removeIf(p -> p.step() >= step.step()); // a job restarted from a checkpoint trains these steps again
        }
        points.add(step);
        if (points.size() > MAX_POINTS) thin(points);
        if (series.size() > MAX_JOBS) series.remove(series.keySet().iterator().next());
    }

    /** Drops every other point but keeps the evaluated ones (they carry validation loss and samples) and the newest. */
    private static void thin(List<StepMetrics> points) {
        List<StepMetrics> kept = new ArrayList<>(points.size() / 2 + 1);
        for (int i = 0; i < points.size(); i++) {
            StepMetrics p = points.get(i);
            if (i % 2 == 0 || p.validationLoss() != null || i == points.size() - 1) kept.add(p);
        }
        if (kept.size() > MAX_POINTS * 3 / 4) { // mostly evaluated points: thin those too
            List<StepMetrics> fewer = new ArrayList<>();
            for (int i = 0; i < kept.size(); i++) if (i % 2 == 0 || i == kept.size() - 1) fewer.add(kept.get(i));
            kept = fewer;
        }
        points.clear();
        points.addAll(kept);
    }

    synchronized List<Series> all() {
        return series.values().stream().map(s -> new Series(s.job(), s.dataset(), List.copyOf(s.points()))).toList();
    }
}
