package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.io.AnnouncedCheckpoints;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.ModelEvaluation;
import dev.llmsuite.records.ModelPromotion;
import dev.llmsuite.records.Names;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.records.ValidationBatches;
import dev.llmsuite.service.KafkaMessages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Evaluates every checkpoint announced on {@code model.checkpoints} and decides its promotion: a consumer of its own
 * group ({@code trainer-service-evaluator}), so across trainer replicas each announcement is evaluated once, by
 * whichever replica the group gives its partition, not necessarily the one that trained it (it needs only the shared
 * volume). It lives in trainer-service because the trainer already has the engine, the compute backend and the
 * volume; a separate worker would be the same code in another pod (docs/api.md, "Evaluation and promotion").
 *
 * <ol>
 *   <li>The announcement is verified as inference-service verifies it (under llm.trainer.checkpoint-dir, every file it
 *       reads hashed): anyone who can write to the topic can send one.</li>
 *   <li>Pre-training checkpoints: the checkpoint's own held-out batches ({@code validation-batches.bin}, the job's
 *       validation batches when it was written) are scored by the checkpoint's weights loaded from disk: validation
 *       loss (token-weighted mean) and perplexity. Fine-tuned checkpoints: what the job measured on its test split
 *       (validation loss, test accuracy, the judge's mean score when a judge was configured).</li>
 *   <li>The evaluation goes to {@code model.evaluations}; the model's {@link PromotionPolicy} then decides, and a
 *       promotion goes to {@code model.promotions}. Only then is the announcement acknowledged: a crash re-evaluates
 *       (at least once; an evaluation is a pure function of the files, so a repeat says the same).</li>
 * </ol>
 * Anything that goes wrong, Errors included (an OutOfMemoryError loading a model), sends the announcement to
 * {@code model.evaluations.dlq} with its reason; training is not affected.
 */
@ApplicationScoped
public class ModelEvaluator {
    private static final Logger LOG = Logger.getLogger(ModelEvaluator.class);

    private final ObjectMapper json;
    private final TrainerConfig config;
    private final EngineBackend backend;
    private final ModelHistory history;
    private final MutinyEmitter<String> evaluations;
    private final MutinyEmitter<String> promotions;
    private final AnnouncedCheckpoints checkpoints;
    private final Counter failed;
    private final Timer evaluationTime;

    ModelEvaluator(ObjectMapper json, TrainerConfig config, EngineBackend backend, ModelHistory history,
                   @Channel("evaluations") MutinyEmitter<String> evaluations, @Channel("promotions") MutinyEmitter<String> promotions,
                   MeterRegistry registry) {
        this.json = json;
        this.config = config;
        this.backend = backend;
        this.history = history;
        this.evaluations = evaluations;
        this.promotions = promotions;
        this.checkpoints = new AnnouncedCheckpoints(config.checkpointDir(), "llm.trainer.checkpoint-dir");
        this.failed = registry.counter("llm.trainer.evaluations.failed");
        this.evaluationTime = registry.timer("llm.trainer.evaluation");
    }

    @Incoming("checkpoints-to-evaluate")
    @Blocking
    public CompletionStage<Void> onCheckpoint(Message<String> message) {
        try {
            CheckpointAnnouncement a = json.readValue(message.getPayload(), CheckpointAnnouncement.class);
            Evaluated evaluated = evaluationTime.recordCallable(() -> evaluate(a));
            send(evaluations, a.model(), evaluated.evaluation());
            promoteIfBetter(evaluated, a);
            return message.ack();
        } catch (Throwable e) {
            failed.increment();
            String reason = e instanceof VirtualMachineError ? "evaluating it failed with " + e : String.valueOf(e.getMessage());
            LOG.warnf("checkpoint not evaluated, dead-lettered: %s", reason);
            return message.nack(e instanceof Exception ex ? ex : new IllegalStateException(reason));
        }
    }

    /** A checkpoint's evaluation and its model's promotion policy, both read from the one verified checkpoint. */
    record Evaluated(ModelEvaluation evaluation, PromotionPolicy policy) {}

    /**
     * The checkpoint's evaluation; IOException when the announcement or its files are not to be trusted. The files are
     * verified (hashed) once, here.
     */
    Evaluated evaluate(CheckpointAnnouncement a) throws IOException {
        if (!Names.valid(a.model())) throw new IOException("model name must be " + Names.RULE + ", got " + Names.quoted(a.model()));
        if (a.step() < 0) throw new IOException("step " + a.step() + " is negative");
        Path dir = checkpoints.verified(a).dir();
        JsonNode meta = json.readTree(dir.resolve(JobCheckpoints.TRAINER_FILE).toFile());
        Map<String, Double> metrics = new LinkedHashMap<>();
        String dataset;
        String note = null;
        if (meta.has("finetune")) {
            JsonNode result = meta.path("finetune").path("result");
            dataset = meta.path("dataset").asText() + "/test";
            putFinite(metrics, "val_loss", result.path("validationLoss"));
            if (metrics.containsKey("val_loss")) metrics.put(ModelEvaluation.PERPLEXITY, Math.exp(metrics.get("val_loss")));
            putFinite(metrics, "test_accuracy", result.path("testAccuracy"));
            putFinite(metrics, "judge_score", result.path("judge").path("mean"));
            note = "measured by the fine-tuning job on its held-out split";
        } else {
            dataset = meta.path("dataset").asText() + "/validation";
            List<TrainingBatch> batches = Files.exists(dir.resolve(ValidationBatches.FILE))
                    ? ValidationBatches.read(dir.resolve(ValidationBatches.FILE)) : List.of();
            if (batches.isEmpty()) {
                note = "the checkpoint holds no validation batches (none had arrived when it was written)";
            } else {
                score(dir, batches, metrics);
            }
        }
        return new Evaluated(new ModelEvaluation(a.model(), a.jobId(), a.step(), a.path(), dataset, metrics, note,
                a.createdAtMillis(), System.currentTimeMillis()), policyOf(meta.path("spec")));
    }

    /** Validation loss (mean over scored tokens), perplexity and the tokens scored, with the checkpoint's own weights. */
    private void score(Path dir, List<TrainingBatch> batches, Map<String, Double> metrics) throws IOException {
        GptConfig shape = HfCheckpoint.readConfig(dir);
        long bytes = 4L * shape.parameterCount();
        if (bytes > config.maxJobBytes()) {
            throw new IOException("the model's weights take " + (bytes >> 20) + " MiB; an evaluation may load "
                    + (config.maxJobBytes() >> 20) + " MiB (llm.trainer.max-job-bytes)");
        }
        try (GptModel model = HfCheckpoint.load(backend.get(), dir)) {
            double weighted = 0;
            long tokens = 0;
            for (TrainingBatch b : batches) {
                try {
                    TrainingJob.requireFits(b, model.config());
                } catch (IllegalArgumentException e) {
                    throw new IOException("validation " + e.getMessage());
                }
                long scored = 0;
                for (int t : b.targets()) if (t != TrainingBatch.IGNORE_INDEX) scored++;
                if (scored == 0) continue;
                weighted += scored * model.forward(b.inputs(), b.targets(), b.documentStarts(), b.batchSize(), b.contextLength(), false, 0);
                tokens += scored;
            }
            if (tokens == 0) return;
            double loss = weighted / tokens;
            metrics.put("val_loss", loss);
            metrics.put(ModelEvaluation.PERPLEXITY, Math.exp(loss));
            metrics.put("tokens", (double) tokens);
        }
    }

    /** Applies the model's policy (its job spec's, else the service default) and publishes a promotion when it says so. */
    private void promoteIfBetter(Evaluated evaluated, CheckpointAnnouncement a) throws IOException {
        ModelEvaluation evaluation = evaluated.evaluation();
        PromotionPolicy.Decision decision = evaluated.policy().decide(evaluation, history.promotion(a.model()).orElse(null));
        if (!decision.promote()) {
            LOG.infof("%s step %d evaluated %s; not promoted: %s", a.model(), a.step(), evaluation.metrics(), decision.reason());
            return;
        }
        ModelPromotion p = new ModelPromotion(a.model(), a.step(), a.path(), a.hashes(), ModelPromotion.By.POLICY, decision.reason(),
                evaluation.metrics(), System.currentTimeMillis());
        send(promotions, a.model(), p);
        history.promoted(p);
        LOG.infof("%s step %d promoted: %s", a.model(), a.step(), decision.reason());
    }

    /** The job spec's policy (trainer.json's "spec"), else the service default (fine-tuning jobs). */
    private PromotionPolicy policyOf(JsonNode spec) {
        PromotionPolicy.Mode mode = spec.hasNonNull("promotion") ? PromotionPolicy.Mode.of(spec.get("promotion").asText()) : config.promotion().mode();
        double min = spec.path("promotionMinImprovement").isNumber() ? spec.get("promotionMinImprovement").asDouble()
                : config.promotion().minImprovementPercent();
        return new PromotionPolicy(mode, min);
    }

    private static void putFinite(Map<String, Double> metrics, String name, JsonNode value) {
        if (value.isNumber() && Double.isFinite(value.asDouble())) metrics.put(name, value.asDouble());
    }

    private void send(MutinyEmitter<String> emitter, String key, Object value) throws IOException {
        emitter.sendMessage(KafkaMessages.keyed(key, json.writeValueAsString(value))).await().atMost(Duration.ofSeconds(30));
    }
}
