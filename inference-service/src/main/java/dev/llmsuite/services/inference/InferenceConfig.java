package dev.llmsuite.services.inference;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** inference-service settings, under {@code llm.inference.*}. */
@ConfigMapping(prefix = "llm.inference")
public interface InferenceConfig {

    /** Generations running at once: decoded together in one batch. */
    @WithDefault("32")
    int maxConcurrent();

    /** Generations admitted to wait beyond those running; one more is refused with 429. */
    @WithDefault("32")
    int maxQueue();

    /** Sequences decoded together in one step (continuous batching). */
    @WithDefault("32")
    int maxBatch();

    /** The most tokens one request may ask for. */
    @WithDefault("1024")
    int maxTokensCap();

    /** The most choices (n) one request may ask for; each is a sequence in the batch. */
    @WithDefault("8")
    int maxChoices();

    /**
     * Memory the KV caches of all admitted generations may take; a generation reserves, per choice,
     * layers × 2 × embeddingDim × 4 bytes × min(context, prompt bound + max_tokens) when admitted. Beyond it:
     * 429; one generation larger than all of it: 413. Unset: half the heap.
     */
    @WithName("max-kv-cache-bytes")
    Optional<Long> maxKvCacheBytesSetting();

    default long maxKvCacheBytes() {
        return maxKvCacheBytesSetting().orElse(Runtime.getRuntime().maxMemory() / 2);
    }

    /** Largest prompt accepted, in chars (the token limit is the model's context). */
    @WithDefault("200000")
    int maxPromptChars();

    /**
     * A checkpoint directory to serve from startup (this suite's, or a Hugging Face GPT-2 download),
     * besides whatever model.checkpoints announces. {@code ./llm serve} sets it.
     */
    Optional<Path> modelDir();

    /**
     * The trainer's checkpoint directory as this service sees it (the same volume): an announcement on
     * model.checkpoints naming a directory outside it is refused (dead-lettered), whatever its hashes.
     */
    @WithDefault("work/checkpoints")
    Path checkpointDir();

    /** The name the model in {@link #modelDir()} is served under (default: the directory's name). */
    Optional<String> modelName();

    /**
     * Where LoRA adapters live, one directory each ({@code NAME/adapter_model.safetensors} +
     * {@code adapter_config.json}, as fine-tuning writes them): a request for
     * {@code "model": "BASE+NAME"} runs the loaded BASE with adapter NAME, on BASE's weights. The
     * trainer's fine-tuning jobs write theirs to {@code llm.trainer.checkpoint-dir/adapters}.
     */
    @WithDefault("work/checkpoints/adapters")
    Path adapterDir();

    /**
     * Backend memory, in MiB, for each served model's (and each adapter view's) prefix cache: the keys and values
     * of whole 64-token prompt blocks, so a prompt that begins like an earlier one (a system prompt, few-shot
     * examples, a template) skips that part of its prefill, with the same output (docs/api.md, "Prefix cache").
     * The least recently used blocks go when it is full; 0 turns it off.
     */
    @WithDefault("256")
    int prefixCacheMb();

    /**
     * Memory, in MiB, each served model keeps of finished requests' KV caches for the next requests (a full-context
     * cache of GPT-2 124M is 75 MB, and allocating one per request costs more than many decode steps). It is on top of
     * {@code max-kv-cache-bytes}, which counts the caches of admitted requests; 0 frees every cache when its request ends.
     */
    @WithDefault("128")
    int kvCachePoolMb();

    default long kvCachePoolBytes() { return (long) kvCachePoolMb() << 20; }

    /**
     * Checkpoints served as {@code NAME@step-N} besides each model's promoted and newest ones: loaded on first use,
     * the least recently used let go beyond this many (each holds a whole model in memory).
     */
    @WithDefault("2")
    int maxPinnedSteps();

    /**
     * What decode steps read the linear layers from: {@code fp32}, {@code bf16} (half the bytes), {@code int8}
     * (8-bit copies, one scale per 64 values, about 1.7x the tokens/s of fp32 at a small perplexity cost:
     * docs/benchmarks.md) or {@code fp32_panels} (fp32 copies in panels: the same output as fp32 to within rounding,
     * faster for small batches — 8 sequences a step in ~21 ms instead of ~35 on GPT-2 124M — for twice fp32's weight
     * memory); prompts still prefill in fp32.
     */
    @WithDefault("fp32")
    Weights weights();

    /** The engine's {@code ServingWeights}, declared here so the manifests' check (deploy/manifest-tests) reads this mapping without the engine. */
    enum Weights { FP32, BF16, INT8, FP32_PANELS }

    /**
     * Speculative decoding per served model: {@code llm.inference.drafts.NAME=int8} (or {@code bf16}: the model's own
     * weights, converted, propose tokens), or a checkpoint directory of a smaller model with the same vocabulary. A
     * request decoding alone then takes up to {@link #lookahead()} + 1 tokens a step: greedy ones the same tokens as
     * without it, sampled ones (without a seed) from the same distribution (docs/api.md, "Speculative decoding").
     * Needs {@code weights} fp32 or fp32_panels (the target verifies exactly); otherwise it is left off, with a warning.
     */
    Map<String, String> drafts();

    /** Tokens a draft proposes each round (1 to 14; 8 to 12 did best with a self-draft, docs/benchmarks.md). */
    @WithDefault("8")
    int lookahead();

    /** Threads for the GPT engine (0 = all cores). */
    @WithDefault("0")
    int threads();
}
