package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Gpt2;
import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.TrainingBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One dataset's sampling, for the length of one record or one punctuation: it reads the dataset's
 * {@link DatasetProgress}, works on the dataset's entries in the stores, and the caller writes the
 * progress back ({@link #progress}). A document's chunks are gathered until its last one, so documents
 * never interleave; each complete document is checked for duplicates (first epoch), kept for later
 * epochs, and appended to the dataset's token stream, whose windows go to validation or, through the
 * shuffle buffer, to training, B at a time. {@link #endEpoch} flushes what is held; later epochs read
 * the kept documents again ({@link #replay}) with a differently seeded shuffle.
 *
 * <p>Over 250 lines because gathering, the epoch's end and the replay share the window routing.</p>
 */
final class DatasetSampler {
    private static final int PAD = Gpt2.END_OF_TEXT;
    /** Tokens in one piece of a kept document (a store entry, and a changelog record, of at most 256 KiB). */
    private static final int PIECE = 65_536;
    private static final int MAX_VOCABULARY_HASH = 256;

    final String dataset;
    final SamplingSpec spec;
    private final DatasetProgress progress;
    private final SamplerStores stores;
    private WindowStream stream;
    private final ShuffleBuffer shuffle;
    private final Deduplicator dedup;
    private final long maxBytes;
    /** A quarter of the dataset's memory budget: one document's tokens, and the windows it makes at once. */
    private final long documentBytes;

    /** maxBytes: the dataset's memory budget (llm.sampler.max-dataset-bytes), which the spec was checked against. */
    DatasetSampler(String dataset, DatasetProgress progress, SamplerStores stores, long maxBytes) {
        this.dataset = dataset;
        this.spec = progress.spec;
        this.progress = progress;
        this.stores = stores;
        this.maxBytes = maxBytes;
        this.documentBytes = maxBytes / 4;
        this.stream = new WindowStream(spec.maxLength(), spec.stride(), spec.pack(), progress.stream);
        this.shuffle = new ShuffleBuffer(stores.windows, dataset, spec.shuffleBuffer(), progress);
        this.dedup = new Deduplicator(stores.dedup, dataset, progress, maxBytes / 4);
    }

    /** The progress as this sampler left it: the caller stores it. */
    DatasetProgress progress() {
        progress.stream = stream.state();
        return progress;
    }

    /**
     * A chunk of the first epoch. IllegalArgumentException: the chunk cannot be used (its document is let go);
     * what the sampler changed before is still to be stored.
     */
    List<TrainingBatch> onChunk(TokenChunk c) {
        if (c.vocabularyHash().length() > MAX_VOCABULARY_HASH) throw new IllegalArgumentException("a vocabulary hash over 256 characters");
        if (progress.vocabularyHash == null) progress.vocabularyHash = c.vocabularyHash();
        if (!progress.vocabularyHash.equals(c.vocabularyHash())) {
            throw new IllegalArgumentException("vocabulary hash " + c.vocabularyHash() + " does not match dataset "
                    + dataset + " (" + progress.vocabularyHash + ")");
        }
        progress.phase = DatasetProgress.Phase.SAMPLING;
        String doc = SamplerStores.document(c.documentId());
        if (stores.documents.get(dataset + "/s/" + doc) != null) { // tokenized again (a tokenizer restart) or posted twice
            if (c.last()) progress.documentsSeenAgain++;
            return List.of();
        }
        String header = dataset + "/o/" + doc;
        byte[] open = stores.documents.get(header);
        int[] gathered = open == null ? new int[] {0, 0} : SamplerStores.ints(open); // next chunk sequence, tokens so far
        int nextSequence = gathered[0];
        int count = gathered[1];
        if (c.sequence() < nextSequence) return List.of(); // delivered again: already gathered
        if (c.sequence() > nextSequence) {
            dropOpen(doc, count, open != null);
            throw new IllegalArgumentException("document " + c.documentId() + " of " + dataset + ": chunk " + c.sequence()
                    + " arrived before chunk " + nextSequence + "; the document is dropped");
        }
        if ((progress.openTokens + c.ids().length) * 4L > documentBytes) {
            dropOpen(doc, count, open != null);
            throw new IllegalArgumentException("document " + c.documentId() + " of " + dataset + ": gathering it would hold "
                    + ((progress.openTokens + c.ids().length) * 4L >> 20) + " MiB of open documents' tokens, over " + (documentBytes >> 20)
                    + " MiB (a quarter of llm.sampler.max-dataset-bytes); the document is left out");
        }
        int[] ids;
        if (open == null && c.last()) { // a document in one chunk: nothing to gather
            ids = c.ids();
        } else {
            if (open == null) progress.openDocuments++;
            progress.openTokens += c.ids().length;
            stores.documents.put(dataset + "/c/" + doc + "/" + SamplerStores.ordinal(c.sequence()), SamplerStores.ints(c.ids()));
            count += c.ids().length;
            if (!c.last()) {
                stores.documents.put(header, SamplerStores.ints(new int[] {nextSequence + 1, count}));
                return List.of();
            }
            ids = SamplerStores.intsUnder(stores.documents, dataset + "/c/" + doc + "/");
            dropOpen(doc, count, true);
        }
        long made = stream.windowsIfAppended(ids.length);
        if (made * spec.windowBytes() > documentBytes) {
            throw new IllegalArgumentException("document " + c.documentId() + " of " + dataset + ": its " + ids.length + " tokens make "
                    + made + " windows at stride " + spec.stride() + ", " + (made * spec.windowBytes() >> 20) + " MiB at once, over "
                    + (documentBytes >> 20) + " MiB (a quarter of llm.sampler.max-dataset-bytes); the document is left out");
        }
        Deduplicator.Verdict v = spec.dedup() ? dedup.check(ids) : Deduplicator.Verdict.UNIQUE;
        stores.documents.put(dataset + "/s/" + doc, new byte[] {(byte) (v == Deduplicator.Verdict.UNIQUE ? 1 : 0)});
        if (v == Deduplicator.Verdict.EXACT_DUPLICATE) {
            progress.exactDuplicates++;
            return List.of();
        }
        if (v == Deduplicator.Verdict.NEAR_DUPLICATE) {
            progress.nearDuplicates++;
            return List.of();
        }
        keep(ids);
        progress.documents++;
        return append(ids);
    }

    private void dropOpen(String doc, int count, boolean wasOpen) {
        if (!wasOpen) return;
        stores.documents.delete(dataset + "/o/" + doc);
        SamplerStores.deletePrefix(stores.documents, dataset + "/c/" + doc + "/");
        progress.openDocuments--;
        progress.openTokens -= count;
    }

    /** An accepted document goes to the stream store, in pieces, for the epochs after the first. */
    private void keep(int[] ids) {
        if (spec.epochs() == 1) return;
        String prefix = dataset + "/" + SamplerStores.ordinal(progress.acceptedDocuments) + "/";
        for (int from = 0, piece = 0; from < ids.length || piece == 0; from += PIECE, piece++) {
            int[] part = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + PIECE));
            stores.stream.put(prefix + SamplerStores.ordinal(piece), SamplerStores.ints(part));
        }
        progress.acceptedDocuments++;
    }

    private List<TrainingBatch> append(int[] ids) {
        progress.tokens += ids.length;
        List<TrainingBatch> ready = new ArrayList<>();
        for (WindowStream.Window w : stream.append(ids)) route(w, ready);
        return ready;
    }

    private void route(WindowStream.Window w, List<TrainingBatch> ready) {
        progress.windows++;
        if (spec.validates(w.index())) {
            add(Split.VALIDATION, w, ready);
        } else {
            WindowStream.Window out = shuffle.offer(w);
            if (out != null) add(Split.TRAIN, out, ready);
        }
    }

    private void add(Split split, WindowStream.Window w, List<TrainingBatch> ready) {
        int held = split == Split.TRAIN ? progress.trainPending++ : progress.validationPending++;
        stores.windows.put(pendingKey(split, held), SamplerStores.window(w));
        if (held + 1 == spec.batchSize()) ready.add(batch(split));
    }

    private String pendingKey(Split split, long i) {
        return dataset + "/" + split + "/" + SamplerStores.ordinal(i);
    }

    /** Whether the epoch's data may be complete: chunks came, and every document that began has ended. */
    boolean mayEndEpoch() {
        return progress.phase == DatasetProgress.Phase.SAMPLING && progress.epoch == 0 && progress.openDocuments == 0;
    }

    /**
     * Ends the epoch: the data's tail as a padded window (unless dropLast), the shuffle buffer drained,
     * the short validation batch always and the short training batch unless dropLast. Returns those
     * batches; the progress says whether another epoch follows (phase DONE when not).
     */
    List<TrainingBatch> endEpoch() {
        List<TrainingBatch> ready = new ArrayList<>();
        if (!spec.dropLast()) {
            WindowStream.Window tail = stream.paddedTail(PAD);
            if (tail != null) route(tail, ready);
        }
        for (WindowStream.Window w : shuffle.drain()) add(Split.TRAIN, w, ready);
        if (progress.validationPending > 0) ready.add(batch(Split.VALIDATION));
        if (progress.trainPending > 0 && !spec.dropLast()) ready.add(batch(Split.TRAIN));
        SamplerStores.deletePrefix(stores.windows, dataset + "/" + Split.TRAIN + "/"); // a short batch dropped
        if (progress.epoch + 1 >= spec.epochs()) {
            progress.phase = DatasetProgress.Phase.DONE;
            progress.stream = stream.state();
            SamplerStores.deletePrefix(stores.stream, dataset + "/"); // no epoch reads them again
        } else {
            progress.startEpoch(progress.epoch + 1);
            stream = new WindowStream(spec.maxLength(), spec.stride(), spec.pack(), progress.stream);
        }
        return ready;
    }

    /**
     * A later epoch: the kept documents from where it stands, until the deadline (System.nanoTime) passes; the
     * epoch ends after its last document. A punctuation calls it again until the dataset is done.
     */
    List<TrainingBatch> replay(long deadline) {
        List<TrainingBatch> ready = new ArrayList<>();
        while (progress.phase == DatasetProgress.Phase.SAMPLING && progress.epoch > 0) {
            if (progress.replayNext >= progress.acceptedDocuments) {
                ready.addAll(endEpoch());
            } else {
                int[] ids = SamplerStores.intsUnder(stores.stream, dataset + "/" + SamplerStores.ordinal(progress.replayNext) + "/");
                progress.replayNext++;
                ready.addAll(append(ids));
            }
            if (System.nanoTime() - deadline > 0) break;
        }
        return ready;
    }

    private TrainingBatch batch(Split split) {
        int b = split == Split.TRAIN ? progress.trainPending : progress.validationPending, t = spec.maxLength();
        int[] inputs = new int[b * t], targets = new int[b * t], starts = spec.pack() ? new int[b * t] : null;
        for (int i = 0; i < b; i++) {
            WindowStream.Window w = SamplerStores.window(stores.windows.get(pendingKey(split, i)));
            stores.windows.delete(pendingKey(split, i));
            System.arraycopy(w.input(), 0, inputs, i * t, t);
            System.arraycopy(w.target(), 0, targets, i * t, t);
            if (starts != null) System.arraycopy(w.documentStarts(), 0, starts, i * t, t);
        }
        long index;
        if (split == Split.TRAIN) {
            index = progress.trainIndex++;
            progress.trainPending = 0;
            progress.trainBatches++;
        } else {
            index = progress.validationIndex++;
            progress.validationPending = 0;
            progress.validationBatches++;
        }
        return new TrainingBatch(dataset, split, progress.epoch, index, progress.vocabularyHash, spec.seed(), b, t, inputs, targets, starts);
    }

    /** GET /v1/datasets/{id}/sampling. */
    static SamplingStatus status(String dataset, DatasetProgress p, long maxBytes) {
        if (p.phase == DatasetProgress.Phase.FAILED) return SamplingStatus.failed(dataset, p.reason);
        if (p.phase == DatasetProgress.Phase.WAITING_FOR_TOKENS) return SamplingStatus.waiting(dataset, p.spec);
        return new SamplingStatus(dataset, p.spec, p.phase == DatasetProgress.Phase.DONE ? SamplingStatus.State.DONE : SamplingStatus.State.SAMPLING,
                null, p.epoch, p.documents, p.exactDuplicates, p.nearDuplicates, p.documentsSeenAgain, p.tokens, p.windows, p.trainBatches,
                p.validationBatches, p.openDocuments, Deduplicator.full(p, maxBytes / 4));
    }
}
