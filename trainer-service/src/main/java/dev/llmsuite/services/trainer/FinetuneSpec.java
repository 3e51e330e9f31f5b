package dev.llmsuite.services.trainer;

import dev.llmsuite.records.Names;
import dev.llmsuite.service.ProblemException;
import java.util.Set;

/**
 * A fine-tuning job as POST /v1/finetune-jobs takes it (docs/api.md). Absent numbers get the book's
 * values for the task; {@link #resolved()} fills them in and checks every field at the edge.
 *
 * @param task      {@code classification} (the book's chapter 6) or {@code instruction} (chapter 7)
 * @param base      the pre-trained checkpoint: a directory under llm.trainer.checkpoint-dir, e.g. "demo/step-558"
 * @param dataset   the dataset on finetune.examples
 * @param mode      classification: last_block (the book), lora or all; instruction: all (every weight: the book's, and
 *                  GPT-2 bases' only mode) or lora (Llama 3 / Qwen3 bases' default: adapters of loraRank and loraAlpha
 *                  on every linear layer)
 * @param email     classification texts are raw e-mails: clean them first
 * @param maxNewTokens instruction: the longest response generated for each test example
 * @param judgeUrl  instruction: an OpenAI-compatible endpoint (e.g. http://host:8084/v1) whose model scores the
 *                  test responses with the book's prompt; with {@code judgeModel}
 * @param adaptEpochs classification: first pre-train the whole base this many epochs on the training split's texts
 *                  (next-token loss, no labels; task-adaptive pre-training, docs/finetuning.md); 0: off
 * @param adaptLeftOut classification, with adaptEpochs: also adapt on the texts the balancing left out of every
 *                  split (labels unused; a text equal to a validation or test text skipped)
 * @param keepBest  classification: end with the epoch that was best on the validation split
 */
public record FinetuneSpec(String id, String task, String base, String dataset, String mode, Integer epochs,
                           Integer batchSize, Double learningRate, Double weightDecay, Integer maxLength, Integer loraRank,
                           Double loraAlpha, Boolean maskPrompt, Boolean email, Long seed, Integer maxNewTokens,
                           String judgeUrl, String judgeModel, Integer adaptEpochs, Double adaptLearningRate,
                           Boolean adaptLeftOut, Boolean keepBest) {

    boolean classification() { return "classification".equals(task); }

    FinetuneSpec withMode(String newMode) {
        return new FinetuneSpec(id, task, base, dataset, newMode, epochs, batchSize, learningRate, weightDecay, maxLength, loraRank,
                loraAlpha, maskPrompt, email, seed, maxNewTokens, judgeUrl, judgeModel, adaptEpochs, adaptLearningRate, adaptLeftOut,
                keepBest);
    }

    FinetuneSpec resolved() {
        try {
            JobDirectories.requireJobId("id", id);
            Names.require("dataset", dataset);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        if (!"classification".equals(task) && !"instruction".equals(task)) {
            throw ProblemException.badRequest("task must be classification or instruction");
        }
        if (base == null || base.isBlank()) throw ProblemException.badRequest("base (a checkpoint directory) is required");
        boolean cls = classification();
        String m = mode == null ? (cls ? "last_block" : "all") : mode.toLowerCase();
        if (!(cls ? Set.of("last_block", "lora", "all") : Set.of("all", "lora")).contains(m)) {
            throw ProblemException.badRequest("mode for " + task + " must be " + (cls ? "last_block, lora or all" : "all or lora"));
        }
        FinetuneSpec r = new FinetuneSpec(id, task, base, dataset, m, or(epochs, cls ? 5 : 2), or(batchSize, 8),
                or(learningRate, 5e-5), or(weightDecay, 0.1), or(maxLength, cls ? 256 : 1024), or(loraRank, 16),
                or(loraAlpha, 16.0), or(maskPrompt, false), or(email, false), or(seed, 123L), or(maxNewTokens, 256),
                judgeUrl, judgeModel, or(adaptEpochs, 0), or(adaptLearningRate, 5e-4), or(adaptLeftOut, false),
                or(keepBest, false));
        check(r.epochs() >= 1 && r.epochs() <= 1000, "epochs must be in [1, 1000]");
        check(r.batchSize() >= 1 && r.batchSize() <= 1024, "batchSize must be in [1, 1024]");
        check(r.learningRate() > 0 && r.learningRate() < 1, "learningRate must be in (0, 1)");
        check(r.weightDecay() >= 0 && r.weightDecay() < 1, "weightDecay must be in [0, 1)");
        check(r.maxLength() >= 2 && r.maxLength() <= 1 << 16, "maxLength must be in [2, 65536]");
        check(r.loraRank() >= 1 && r.loraRank() <= 1024, "loraRank must be in [1, 1024]");
        check(r.loraAlpha() > 0, "loraAlpha must be positive");
        check(r.maxNewTokens() >= 1 && r.maxNewTokens() <= 4096, "maxNewTokens must be in [1, 4096]");
        check(r.adaptEpochs() >= 0 && r.adaptEpochs() <= 1000, "adaptEpochs must be in [0, 1000]");
        check(r.adaptEpochs() == 0 || cls, "adaptEpochs is for classification jobs (an instruction job already trains the whole model on its texts)");
        check(!r.adaptLeftOut() || r.adaptEpochs() > 0, "adaptLeftOut needs adaptEpochs");
        check(r.adaptLearningRate() > 0 && r.adaptLearningRate() < 1, "adaptLearningRate must be in (0, 1)");
        check((judgeUrl == null) == (judgeModel == null), "judgeUrl and judgeModel go together");
        check(judgeUrl == null || (!cls && judgeUrl.matches("https?://[^\\s]+")), "judgeUrl: an http(s) URL, for instruction jobs");
        return r;
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw ProblemException.badRequest(message);
    }

    private static <T> T or(T value, T fallback) {
        return value == null ? fallback : value;
    }
}
