package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Gpt2;
import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.TrainingBatch;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One dataset's sampling. A document's chunks are gathered until its last one, so documents never
 * interleave; each complete document is checked for duplicates (first epoch) and appended to the
 * dataset's token stream, whose windows go to validation or, through the shuffle buffer, to training,
 * B at a time. {@link #endEpoch} flushes what is held; later epochs see the same documents again
 * (replayed from the token topic) with a differently seeded shuffle.
 */
final class DatasetSampler {
    private static final int PAD = Gpt2.END_OF_TEXT;

    final String dataset;
    final SamplingSpec spec;
    private String vocabularyHash;
    private int epoch;
    private boolean done;
    private final Map<String, Document> open = new HashMap<>();
    private WindowStream stream;
    private ShuffleBuffer<WindowStream.Window> shuffle;
    private final Map<Split, List<WindowStream.Window>> pending = new EnumMap<>(Split.class);
    private final Map<Split, Long> batchIndex = new EnumMap<>(Split.class);
    private final Deduplicator dedup;
    /** A quarter of the dataset's memory budget: one document's tokens, and the windows it makes at once. */
    private final long documentBytes;
    /** Tokens of the documents being gathered. */
    private long openTokens;
    private final Set<String> accepted = new HashSet<>();
    /** Documents whose last chunk came live (accepted or dropped as duplicates): their chunks seen again are ignored. */
    private final Set<String> completed = new HashSet<>();
    private long redelivered;
    /** partition → [first, last] offsets of this dataset's chunks, for the replays. */
    final Map<Integer, long[]> ranges = new HashMap<>();
    private long windows;
    private final Map<Split, Long> batches = new EnumMap<>(Split.class);
    private long documents;
    private long exactDuplicates;
    private long nearDuplicates;
    private long tokens;
    volatile long lastChunkNanos = System.nanoTime();
    private boolean sawData;
    /** After a restart: the epoch the stored state was in and the batches it had sent; those are not sent again. */
    private int resumeEpoch = -1;
    /** Counts the changes a restart needs to know of (a batch made, a new partition, an epoch's end). */
    private long stateChanges;
    private final Map<Split, Long> resumeSent = new EnumMap<>(Split.class);

    /** A document being gathered: its chunks so far, in order. */
    private static final class Document {
        final ByteArrayOutputStream ids = new ByteArrayOutputStream();
        int nextSequence;
        int count;
    }

    /** With no budget of its own: tests that are not about memory. */
    DatasetSampler(String dataset, SamplingSpec spec) {
        this(dataset, spec, Long.MAX_VALUE);
    }

    /** maxBytes: the dataset's memory budget (llm.sampler.max-dataset-bytes), which the spec was checked against. */
    DatasetSampler(String dataset, SamplingSpec spec, long maxBytes) {
        this.dataset = dataset;
        this.spec = spec;
        this.documentBytes = maxBytes / 4;
        this.dedup = new Deduplicator(maxBytes / 4);
        for (Split s : Split.values()) batches.put(s, 0L);
        startEpoch(0);
    }

    private void startEpoch(int e) {
        epoch = e;
        stream = new WindowStream(spec.maxLength(), spec.stride(), spec.pack());
        shuffle = new ShuffleBuffer<>(spec.shuffleBuffer(), spec.seed() * 1_000_003L + e);
        for (Split s : Split.values()) {
            pending.put(s, new ArrayList<>());
            batchIndex.put(s, 0L);
        }
    }

    int epoch() { return epoch; }

    boolean done() { return done; }

    /** A chunk from the live topic (first epoch), or a replayed one (later epochs: only accepted documents). */
    synchronized List<TrainingBatch> onChunk(TokenChunk c, int partition, long offset, boolean replay) {
        if (vocabularyHash == null) vocabularyHash = c.vocabularyHash();
        if (!vocabularyHash.equals(c.vocabularyHash())) {
            throw new IllegalArgumentException("vocabulary hash " + c.vocabularyHash() + " does not match dataset "
                    + dataset + " (" + vocabularyHash + ")");
        }
        if (!replay) {
            long[] seen = ranges.get(partition);
            if (seen != null && offset <= seen[1]) return List.of(); // delivered again after a restart: already read
            if (seen == null) stateChanges++;
            ranges.merge(partition, new long[] {offset, offset}, (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
            lastChunkNanos = System.nanoTime();
            sawData = true;
            if (completed.contains(c.documentId())) { // tokenized again (a tokenizer restart) or posted twice
                if (c.last()) redelivered++;
                return List.of();
            }
        }
        Document d = open.computeIfAbsent(c.documentId(), k -> new Document());
        if (c.sequence() < d.nextSequence) return List.of(); // delivered again: already gathered
        if (c.sequence() > d.nextSequence) {
            dropOpen(c.documentId());
            throw new IllegalArgumentException("document " + c.documentId() + " of " + dataset + ": chunk " + c.sequence()
                    + " arrived before chunk " + d.nextSequence + "; the document is dropped");
        }
        if ((openTokens + c.ids().length) * 4L > documentBytes) {
            dropOpen(c.documentId());
            throw new IllegalArgumentException("document " + c.documentId() + " of " + dataset + ": gathering it would hold "
                    + ((openTokens + c.ids().length) * 4L >> 20) + " MiB of open documents' tokens, over " + (documentBytes >> 20)
                    + " MiB (a quarter of llm.sampler.max-dataset-bytes); the document is left out");
        }
        d.nextSequence++;
        openTokens += c.ids().length;
        for (int id : c.ids()) {
            d.ids.write(id >>> 24);
            d.ids.write(id >>> 16);
            d.ids.write(id >>> 8);
            d.ids.write(id);
        }
        d.count += c.ids().length;
        if (!c.last()) return List.of();
        dropOpen(c.documentId());
        long made = stream.windowsIfAppended(d.count);
        if (made * spec.windowBytes() > documentBytes) {
            throw new IllegalArgumentException("document " + c.documentId() + " of " + dataset + ": its " + d.count + " tokens make "
                    + made + " windows at stride " + spec.stride() + ", " + (made * spec.windowBytes() >> 20) + " MiB at once, over "
                    + (documentBytes >> 20) + " MiB (a quarter of llm.sampler.max-dataset-bytes); the document is left out");
        }
        int[] ids = new int[d.count];
        ByteBuffer.wrap(d.ids.toByteArray()).asIntBuffer().get(ids);
        if (replay) {
            if (!accepted.contains(c.documentId())) return List.of();
        } else {
            completed.add(c.documentId());
            Deduplicator.Verdict v = spec.dedup() ? dedup.check(ids) : Deduplicator.Verdict.UNIQUE;
            if (v == Deduplicator.Verdict.EXACT_DUPLICATE) {
                exactDuplicates++;
                return List.of();
            }
            if (v == Deduplicator.Verdict.NEAR_DUPLICATE) {
                nearDuplicates++;
                return List.of();
            }
            accepted.add(c.documentId());
            documents++;
        }
        tokens += ids.length;
        List<TrainingBatch> ready = new ArrayList<>();
        for (WindowStream.Window w : stream.append(ids)) route(w, ready);
        return ready;
    }

    private void dropOpen(String documentId) {
        Document d = open.remove(documentId);
        if (d != null) openTokens -= d.count;
    }

    private void route(WindowStream.Window w, List<TrainingBatch> ready) {
        windows++;
        if (spec.validates(w.index())) {
            add(Split.VALIDATION, w, ready);
        } else {
            WindowStream.Window out = shuffle.offer(w);
            if (out != null) add(Split.TRAIN, out, ready);
        }
    }

    private void add(Split split, WindowStream.Window w, List<TrainingBatch> ready) {
        List<WindowStream.Window> p = pending.get(split);
        p.add(w);
        if (p.size() == spec.batchSize()) ready.add(batch(split));
    }

    /** Whether every document is complete and nothing has arrived for a while: the epoch's data is all here. */
    synchronized boolean quiet(long nanos) {
        return sawData && !done && open.isEmpty() && System.nanoTime() - lastChunkNanos >= nanos;
    }

    /**
     * Ends the epoch: the data's tail as a padded window (unless dropLast), the shuffle buffer drained,
     * the short validation batch always and the short training batch unless dropLast. Returns those
     * batches; {@link #done} tells whether another epoch follows.
     */
    synchronized List<TrainingBatch> endEpoch() {
        List<TrainingBatch> ready = new ArrayList<>();
        if (!spec.dropLast()) {
            WindowStream.Window tail = stream.paddedTail(PAD);
            if (tail != null) route(tail, ready);
        }
        for (WindowStream.Window w : shuffle.drain()) add(Split.TRAIN, w, ready);
        if (!pending.get(Split.VALIDATION).isEmpty()) ready.add(batch(Split.VALIDATION));
        if (!pending.get(Split.TRAIN).isEmpty() && !spec.dropLast()) ready.add(batch(Split.TRAIN));
        open.clear();
        openTokens = 0;
        stateChanges++;
        if (epoch + 1 >= spec.epochs()) done = true;
        else startEpoch(epoch + 1);
        return ready;
    }

    private TrainingBatch batch(Split split) {
        List<WindowStream.Window> ws = pending.get(split);
        int b = ws.size(), t = spec.maxLength();
        int[] inputs = new int[b * t], targets = new int[b * t], starts = spec.pack() ? new int[b * t] : null;
        for (int i = 0; i < b; i++) {
            System.arraycopy(ws.get(i).input(), 0, inputs, i * t, t);
            System.arraycopy(ws.get(i).target(), 0, targets, i * t, t);
            if (starts != null) System.arraycopy(ws.get(i).documentStarts(), 0, starts, i * t, t);
        }
        long index = batchIndex.merge(split, 1L, Long::sum) - 1;
        stateChanges++;
        batches.merge(split, 1L, Long::sum);
        ws.clear();
        return new TrainingBatch(dataset, split, epoch, index, vocabularyHash, spec.seed(), b, t, inputs, targets, starts);
    }

    /** Continue from a stored state: batches of earlier epochs, and the first ones of its epoch, were sent. */
    synchronized void resumeAfter(SamplerState stored) {
        resumeEpoch = stored.epoch();
        resumeSent.put(Split.TRAIN, stored.trainBatchesSent());
        resumeSent.put(Split.VALIDATION, stored.validationBatchesSent());
    }

    /** Whether b was sent before the restart this sampler resumes from (made again while catching up). */
    synchronized boolean sentBeforeRestart(TrainingBatch b) {
        return b.epoch() < resumeEpoch || (b.epoch() == resumeEpoch && b.batchIndex() < resumeSent.get(b.split()));
    }

    /** Grows whenever {@link #state} would tell a restart something new; a chunk that only adds tokens leaves it. */
    synchronized long stateChanges() { return stateChanges; }

    /** What a restart needs to go on from here. */
    synchronized SamplerState state() {
        Map<Integer, long[]> r = new HashMap<>();
        ranges.forEach((p, range) -> r.put(p, range.clone()));
        return new SamplerState(dataset, spec, r, epoch, done, batchIndex.get(Split.TRAIN), batchIndex.get(Split.VALIDATION),
                done ? status(Map.of()) : null);
    }

    /** GET /v1/datasets/{id}/sampling. */
    synchronized SamplingStatus status(Map<Integer, Long> lag) {
        return new SamplingStatus(dataset, spec, done ? SamplingStatus.State.DONE : SamplingStatus.State.SAMPLING, null, epoch, documents,
                exactDuplicates, nearDuplicates, redelivered, tokens, windows, batches.get(Split.TRAIN), batches.get(Split.VALIDATION),
                open.size(), dedup.full(), lag);
    }
}
