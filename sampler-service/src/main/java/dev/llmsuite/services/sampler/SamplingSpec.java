package dev.llmsuite.services.sampler;

/**
 * {@code POST /v1/datasets/{id}/sampling}: how a dataset's token stream becomes batches. Missing fields
 * take the service's defaults ({@code llm.sampler.*}); {@link #resolve} fills them in and checks them.
 *
 * @param maxLength     tokens per window (the book's max_length)
 * @param stride        tokens between the starts of two windows
 * @param batchSize     windows per batch
 * @param trainFraction share of windows that train; the rest validate (window i validates when
 *                      floor((i+1)·v) > floor(i·v), v = 1 − trainFraction: every 10th for 0.9)
 * @param seed          seeds the shuffle (reseeded every epoch with seed and epoch)
 * @param epochs        passes over the data; epochs after the first read the documents the sampler kept
 * @param shuffleBuffer training windows held for shuffling (1: no shuffling); validation is not shuffled
 * @param dropLast      drop the last short training batch (the book's drop_last=True); false keeps it,
 *                      and pads the tail of the data into one last window (inputs 50256, targets -100)
 * @param dedup         drop exact and near-duplicate documents (MinHash, Jaccard ≥ 0.8 on 5-token shingles)
 * @param pack          windows span documents, with each token's document start sent along so that
 *                      attention stays within its document (false: the book's plain stream)
 */
public record SamplingSpec(Integer maxLength, Integer stride, Integer batchSize, Double trainFraction, Long seed,
                           Integer epochs, Integer shuffleBuffer, Boolean dropLast, Boolean dedup, Boolean pack) {

    /** The largest batch record (16 MiB, the topics' max.message.bytes) less room for its header. */
    static final long MAX_BATCH_BYTES = (16L << 20) - 4096;

    SamplingSpec resolve(SamplerConfig d) {
        SamplingSpec r = new SamplingSpec(or(maxLength, d.maxLength()), or(stride, d.stride()), or(batchSize, d.batchSize()),
                or(trainFraction, d.trainFraction()), or(seed, d.seed()), or(epochs, d.epochs()),
                or(shuffleBuffer, d.shuffleBuffer()), or(dropLast, true), or(dedup, d.dedup()), or(pack, false));
        r.check(d.maxDatasetBytes());
        return r;
    }

    /** Bytes one window holds: inputs and targets (and, packing, document starts), 4 bytes a token. */
    long windowBytes() {
        return 4L * maxLength * (pack ? 3 : 2);
    }

    /** What a dataset always holds: the shuffle buffer, and a batch of each split being filled. */
    long heldBytes() {
        return (shuffleBuffer + 2L * batchSize) * windowBytes();
    }

    /**
     * Every field in range, and their product within the budget: half of a dataset's memory budget may be held
     * windows, the rest is for a document's windows and dedup state ({@link DatasetSampler}). Also run on a spec
     * read from sampling.specs, which may predate a smaller budget or come from anyone who can write the topic.
     */
    void check(long maxDatasetBytes) {
        if (maxLength == null || stride == null || batchSize == null || trainFraction == null || seed == null || epochs == null
                || shuffleBuffer == null || dropLast == null || dedup == null || pack == null) {
            throw new IllegalArgumentException("a sampling spec with every field resolved is required");
        }
        if (maxLength < 1 || maxLength > 1_048_576) throw new IllegalArgumentException("maxLength must be in [1, 1048576]");
        if (stride < 1) throw new IllegalArgumentException("stride must be >= 1");
        if (batchSize < 1 || batchSize > 4096) throw new IllegalArgumentException("batchSize must be in [1, 4096]");
        if (!(trainFraction > 0 && trainFraction <= 1)) throw new IllegalArgumentException("trainFraction must be in (0, 1]");
        if (epochs < 1 || epochs > 10_000) throw new IllegalArgumentException("epochs must be in [1, 10000]");
        if (shuffleBuffer < 1 || shuffleBuffer > 1_000_000) throw new IllegalArgumentException("shuffleBuffer must be in [1, 1000000]");
        if ((long) batchSize * windowBytes() > MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("a batch of batchSize " + batchSize + " windows of " + windowBytes() + " bytes is over "
                    + (MAX_BATCH_BYTES >> 20) + " MiB, the largest record train.batches takes: lower batchSize or maxLength");
        }
        if (heldBytes() > maxDatasetBytes / 2) {
            throw new IllegalArgumentException("this sampling holds " + (heldBytes() >> 20) + " MiB ((shuffleBuffer " + shuffleBuffer
                    + " + 2 x batchSize " + batchSize + ") windows of " + windowBytes() + " bytes); a dataset may hold "
                    + (maxDatasetBytes / 2 >> 20) + " MiB in windows (half of llm.sampler.max-dataset-bytes): lower shuffleBuffer,"
                    + " batchSize or maxLength");
        }
    }

    /** Whether window i goes to validation. */
    boolean validates(long window) {
        double v = 1 - trainFraction;
        return Math.floor((window + 1) * v + 1e-9) > Math.floor(window * v + 1e-9);
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
