package dev.llmsuite.services.sampler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sliding windows over one dataset's token stream, as the book defines them: input = ids[i : i+L],
 * target = ids[i+1 : i+L+1], i stepping by the stride. Tokens arrive in pieces; only the tail that a
 * later window still needs is kept. Packing: when each append is one whole document, a window also
 * carries, per token, the position in the window where the token's document begins. Between chunks it lives
 * in the dataset's stored progress as its {@link State}: at most a window's worth of tail tokens.
 */
final class WindowStream {
    /** One window: L inputs, the L targets shifted by one, and (packing) each token's document start. */
    record Window(long index, int[] input, int[] target, int[] documentStarts) {}

    /** What a stream needs to go on: the tokens a later window still needs, and its counters. */
    record State(int[] tail, long skip, long windowsMade, long total, long[] documentStarts) {}

    static final int IGNORE_INDEX = -100;

    private final int maxLength;
    private final int stride;
    private int[] buffer = new int[0];
    private int start;          // position of the next window's first token in buffer
    private long skip;          // tokens still to skip when the stride is longer than what has arrived
    private long windowsMade;
    private final boolean pack;
    private long total;                                        // tokens appended so far
    private final ArrayDeque<Long> documentStarts = new ArrayDeque<>(); // absolute positions

    WindowStream(int maxLength, int stride) {
        this(maxLength, stride, false);
    }

    WindowStream(int maxLength, int stride, boolean pack) {
        if (maxLength <= 0 || stride <= 0) throw new IllegalArgumentException("max_length and stride must be > 0");
        this.maxLength = maxLength;
        this.stride = stride;
        this.pack = pack;
    }

    /** A stream that goes on from a stored state. */
    WindowStream(int maxLength, int stride, boolean pack, State state) {
        this(maxLength, stride, pack);
        buffer = state.tail().clone();
        skip = state.skip();
        windowsMade = state.windowsMade();
        total = state.total();
        for (long s : state.documentStarts()) documentStarts.addLast(s);
    }

    State state() {
        return new State(Arrays.copyOfRange(buffer, start, buffer.length), skip, windowsMade, total,
                documentStarts.stream().mapToLong(Long::longValue).toArray());
    }

    /** How many windows appending n tokens would complete (each is {@code 2·maxLength} ints, made at once). */
    long windowsIfAppended(long n) {
        long available = buffer.length - start + Math.max(0, n - skip);
        return available < maxLength + 1L ? 0 : (available - maxLength - 1) / stride + 1;
    }

    /** Appends ids (with packing: one whole document) and returns every window that is now complete. */
    List<Window> append(int[] ids) {
        if (pack) documentStarts.addLast(total);
        total += ids.length;
        int from = (int) Math.min(skip, ids.length);
        skip -= from;
        int keep = buffer.length - start;
        int[] grown = new int[keep + ids.length - from];
        System.arraycopy(buffer, start, grown, 0, keep);
        System.arraycopy(ids, from, grown, keep, ids.length - from);
        buffer = grown;
        start = 0;
        List<Window> out = new ArrayList<>();
        while (start + maxLength + 1 <= buffer.length) {
            out.add(new Window(windowsMade++,
                    Arrays.copyOfRange(buffer, start, start + maxLength),
                    Arrays.copyOfRange(buffer, start + 1, start + maxLength + 1), starts(start, maxLength)));
            start += stride;
        }
        // A stride longer than the window skips tokens that no window will use, also ones yet to come.
        if (start > buffer.length) {
            skip += start - buffer.length;
            start = buffer.length;
        }
        return out;
    }

    /**
     * The data's tail as one last window, padded: the tokens no window started at (at least two, so there
     * is a target), inputs padded with {@code pad} and targets with -100 so the padding adds no loss.
     */
    Window paddedTail(int pad) {
        int n = buffer.length - start;
        if (n < 2 || skip > 0) return null;
        int[] input = new int[maxLength], target = new int[maxLength];
        Arrays.fill(input, pad);
        Arrays.fill(target, IGNORE_INDEX);
        int len = Math.min(n - 1, maxLength);
        System.arraycopy(buffer, start, input, 0, len);
        System.arraycopy(buffer, start + 1, target, 0, len);
        int[] starts = starts(start, len);
        if (starts != null && len < maxLength) {
            starts = Arrays.copyOf(starts, maxLength);
            for (int p = len; p < maxLength; p++) starts[p] = len; // padding: a document of its own
        }
        start = buffer.length;
        return new Window(windowsMade++, input, target, starts);
    }

    /** For the window at buffer position s: each of its first n tokens' document start, within the window. */
    private int[] starts(int s, int n) {
        if (!pack) return null;
        long abs = total - buffer.length + s; // absolute position of the window's first token
        // documents that began before this window's start, save the last of them, are no longer needed
        while (documentStarts.size() > 1 && secondStart() <= abs) documentStarts.removeFirst();
        int[] out = new int[n];
        var it = documentStarts.iterator();
        long current = it.next(), next = it.hasNext() ? it.next() : Long.MAX_VALUE;
        for (int p = 0; p < n; p++) {
            while (abs + p >= next) {
                current = next;
                next = it.hasNext() ? it.next() : Long.MAX_VALUE;
            }
            out[p] = (int) Math.max(0, current - abs);
        }
        return out;
    }

    private long secondStart() {
        var it = documentStarts.iterator();
        it.next();
        return it.next();
    }

    long windowsMade() { return windowsMade; }
}
