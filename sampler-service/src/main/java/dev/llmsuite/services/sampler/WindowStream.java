package dev.llmsuite.services.sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sliding windows over one dataset's token stream, as the book defines them: input = ids[i : i+L],
 * target = ids[i+1 : i+L+1], i stepping by the stride. Tokens arrive in chunks; only the tail that a
 * later window still needs is kept.
 */
final class WindowStream {
    /** One window: L inputs and the L targets shifted by one. */
    record Window(long index, int[] input, int[] target) {}

    private final int maxLength;
    private final int stride;
    private int[] buffer = new int[0];
    private int start;          // position of the next window's first token in buffer
    private long windowsMade;

    WindowStream(int maxLength, int stride) {
        if (maxLength <= 0 || stride <= 0) throw new IllegalArgumentException("max_length and stride must be > 0");
        this.maxLength = maxLength;
        this.stride = stride;
    }

    /** Appends ids and returns every window that is now complete. */
    List<Window> append(int[] ids) {
        int keep = buffer.length - start;
        int[] grown = new int[keep + ids.length];
        System.arraycopy(buffer, start, grown, 0, keep);
        System.arraycopy(ids, 0, grown, keep, ids.length);
        buffer = grown;
        start = 0;
        List<Window> out = new ArrayList<>();
        while (start + maxLength + 1 <= buffer.length) {
            out.add(new Window(windowsMade++,
                    Arrays.copyOfRange(buffer, start, start + maxLength),
                    Arrays.copyOfRange(buffer, start + 1, start + maxLength + 1)));
            start += stride;
        }
        // A stride longer than the window skips tokens that no window will use.
        if (start > buffer.length) start = buffer.length;
        return out;
    }

    long windowsMade() { return windowsMade; }
}
