package dev.llmsuite.finetune;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.llama.LlamaAdamW;
import dev.llmsuite.engine.model.llama.LlamaGenerator;
import dev.llmsuite.engine.model.llama.LlamaLora;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.engine.model.llama.LlamaTrainingStep;
import dev.llmsuite.engine.train.AdamW;
import dev.llmsuite.chat.ModelTokens;
import dev.llmsuite.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Llama 3 / Qwen3 model fine-tuned through LoRA adapters on its frozen weights ({@link LlamaLora}), or whole
 * ({@link LlamaAdamW} over every weight), with its own tokenizer.json: each example starts with the model's BOS when its tokenizer_config.json says add_bos_token and ends
 * with its EOS (config.json's first eos_token_id). A batch is its rows one after the other, each row's gradient
 * weighted by its share of the batch's targets, so the step is on the batch's mean loss as GPT-2's is. Answers come
 * from the base with the adapters merged in (after which it trains no more).
 */
public final class LlamaLearner implements InstructionLearner, AutoCloseable {
    /** The base's files a fine-tuned checkpoint carries over as they are (its config.json: the same shape, with its ids). */
    private static final List<String> BASE_FILES = List.of("config.json", "tokenizer.json", "tokenizer_config.json",
            "generation_config.json", "chat_template.jinja");

    private final Path baseDir;
    private final LlamaModel model;
    /** The adapters trained, or null when every weight is. */
    private final LlamaLora lora;
    private final ModelTokens tokens;
    private final AdamW optimizer;      // LoRA: the adapters' buffer
    private final LlamaAdamW whole;     // every weight
    private LlamaTrainingStep step;
    private boolean merged;

    private LlamaLearner(Path baseDir, LlamaModel model, LlamaLora lora, ModelTokens tokens, double weightDecay) {
        this.baseDir = baseDir;
        this.model = model;
        this.lora = lora;
        this.tokens = tokens;
        AdamW.Settings adamW = new AdamW.Settings(0.9f, 0.999f, 1e-8f, (float) weightDecay);
        this.optimizer = lora == null ? null : new AdamW(model.backend(), lora.parameters(), lora.gradients(), lora.specs(), adamW);
        this.whole = lora == null ? new LlamaAdamW(model, adamW) : null;
    }

    /** The model of a Hugging Face Llama / Qwen3 directory with new adapters of the given settings (null: every weight trained). */
    public static LlamaLearner open(ComputeBackend backend, Path dir, LlamaLora.Settings settings, double weightDecay, long seed)
            throws IOException {
        ModelTokens tokens = ModelTokens.fromDirectory(dir);
        if (tokens.ends().isEmpty()) throw new IllegalArgumentException(dir + ": config.json names no eos_token_id");
        LlamaModel model = LlamaCheckpoint.load(backend, dir);
        try {
            tokens.requireRows(model.config().vocabSize()); // every id, the end token's included, has a row
            LlamaLora lora = settings == null ? null : new LlamaLora(backend, model.config(), settings, seed);
            return new LlamaLearner(dir, model, lora, tokens, weightDecay);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public LlamaModel model() { return model; }

    /** The adapters trained, or null when every weight is. */
    public LlamaLora adapters() { return lora; }

    public HfTokenizer tokenizer() { return tokens.tokenizer(); }

    @Override public int contextLength() { return model.config().contextLength(); }

    @Override public int endOfText() { return tokens.eos(); }

    @Override public int[] encode(String text) { return tokens.encodeText(text); }

    @Override public String decode(int[] ids) { return tokens.tokenizer().decode(ids); }

    @Override
    public double trainStep(InstructionCollate.Batch b, int stepNumber, double learningRate) {
        if (merged) throw new IllegalStateException("the adapters were merged into the model: it trains no more");
        int total = counted(b.targets(), 0, b.targets().length);
        if (total == 0) return Double.NaN;
        LlamaTrainingStep s = stepFor(b.length());
        s.zeroGradients();
        double loss = 0;
        for (int row = 0; row < b.batchSize(); row++) {
            int from = row * b.length(), to = from + b.length(), n = counted(b.targets(), from, to);
            if (n == 0) continue;
            float share = (float) n / total;
            loss += share * s.addLossAndGradients(Arrays.copyOfRange(b.inputs(), from, to), Arrays.copyOfRange(b.targets(), from, to), share);
        }
        if (lora != null) {
            optimizer.clipGradientNorm(1.0);
            optimizer.step((float) learningRate);
        } else {
            whole.clipGradientNorm(s.gradients(), 1.0);
            whole.step(s.gradients(), (float) learningRate);
        }
        return loss;
    }

    @Override
    public double loss(InstructionCollate.Batch b) {
        int total = counted(b.targets(), 0, b.targets().length);
        if (total == 0) return Double.NaN;
        LlamaTrainingStep s = stepFor(b.length());
        double loss = 0;
        for (int row = 0; row < b.batchSize(); row++) {
            int from = row * b.length(), to = from + b.length(), n = counted(b.targets(), from, to);
            if (n > 0) loss += (double) n / total * s.loss(Arrays.copyOfRange(b.inputs(), from, to), Arrays.copyOfRange(b.targets(), from, to));
        }
        return loss;
    }

    @Override
    public int[] complete(int[] prompt, int maxNewTokens) {
        mergeAdapters();
        return new LlamaGenerator(model).generate(prompt, new SamplingParams(maxNewTokens, 0, 0, 1, 0, Set.of(tokens.eos())), null);
    }

    /** Folds the adapters into the weights (once): the model then answers, and is saved, as base + adapters. */
    public void mergeAdapters() {
        if (merged || lora == null) return;
        lora.mergeInto(model);
        merged = true;
    }

    /**
     * Writes the fine-tuned model into dir: the base with the adapters merged in (model.safetensors) and the base's
     * config and tokenizer files; and the adapters apart, in PEFT's files, into adapterDir (none when every weight
     * was trained).
     */
    public void save(Path dir, Path adapterDir) throws IOException {
        mergeAdapters();
        LlamaCheckpoint.save(model, dir);
        for (String file : BASE_FILES) {
            if (Files.isRegularFile(baseDir.resolve(file))) Files.copy(baseDir.resolve(file), dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (lora != null) lora.save(adapterDir);
    }

    @Override
    public String description() {
        return "base " + model.config().architecture() + " " + model.config().parameterCount() + " parameters, "
                + (lora == null ? "every weight trained" : "LoRA rank " + lora.settings().rank() + " on " + lora.settings().targets());
    }

    /** The training step for sequences of t tokens: one kept at a time (a step holds t × vocabulary logits). */
    private LlamaTrainingStep stepFor(int t) {
        if (step == null || step.length() != t) {
            if (step != null) step.close();
            step = lora == null ? new LlamaTrainingStep(model, t) : new LlamaTrainingStep(model, lora, t);
        }
        return step;
    }

    private static int counted(int[] targets, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) if (targets[i] != InstructionCollate.IGNORE) n++;
        return n;
    }

    @Override
    public void close() {
        if (step != null) step.close();
        if (optimizer != null) optimizer.close();
        if (whole != null) whole.close();
        if (lora != null) lora.close();
        model.close();
    }
}
