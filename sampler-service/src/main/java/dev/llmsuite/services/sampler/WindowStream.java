package dev.llmsuite.services.sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sliding windows over one dataset's token stream, as the book defines them: input = ids[i : i+L],
 * target = ids[i+1 : i+L+1], i stepping by the stride. Tokens arrive in pieces; only the tail that a
 * later window still needs is kept.
 */
final class WindowStream {
    /** One window: L inputs and the L targets shifted by one. */
    record Window(long index, int[] input, int[] target) {}

    static final int IGNORE_INDEX = -100;

    private final int maxLength;
    private final int stride;
    private int[] buffer = new int[0];
    private int start;          // position of the next window's first token in buffer
    private long skip;          // tokens still to skip when the stride is longer than what has arrived
    private long windowsMade;

    WindowStream(int maxLength, int stride) {
        if (maxLength <= 0 || stride <= 0) throw new IllegalArgumentException("max_length and stride must be > 0");
        this.maxLength = maxLength;
        this.stride = stride;
    }

    /** Appends ids and returns every window that is now complete. */
    List<Window> append(int[] ids) {
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
                    Arrays.copyOfRange(buffer, start + 1, start + maxLength + 1)));
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
        start = buffer.length;
        return new Window(windowsMade++, input, target);
    }

    long windowsMade() { return windowsMade; }
}
