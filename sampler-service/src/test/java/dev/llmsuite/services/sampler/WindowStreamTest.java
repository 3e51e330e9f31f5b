package dev.llmsuite.services.sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class WindowStreamTest {

    private static int[] range(int from, int to) {
        int[] a = new int[to - from];
        for (int i = 0; i < a.length; i++) a[i] = from + i;
        return a;
    }

    @Test
    void windowsAreTheBooksInputAndShiftedTarget() {
        // The book's chapter-2 example: max_length 4, stride 1.
        WindowStream s = new WindowStream(4, 1);
        List<WindowStream.Window> w = s.append(range(0, 7));
        assertEquals(3, w.size(), "7 tokens give windows at 0, 1, 2");
        assertArrayEquals(new int[] {0, 1, 2, 3}, w.get(0).input());
        assertArrayEquals(new int[] {1, 2, 3, 4}, w.get(0).target());
        assertArrayEquals(new int[] {2, 3, 4, 5}, w.get(2).input());
        assertArrayEquals(new int[] {3, 4, 5, 6}, w.get(2).target());
    }

    @Test
    void chunkBoundariesDoNotChangeTheWindows() {
        int[] all = range(100, 150);
        WindowStream whole = new WindowStream(8, 3);
        List<WindowStream.Window> expected = whole.append(all);
        WindowStream chunked = new WindowStream(8, 3);
        List<WindowStream.Window> got = new ArrayList<>();
        for (int i = 0; i < all.length; i += 7) {
            got.addAll(chunked.append(Arrays.copyOfRange(all, i, Math.min(all.length, i + 7))));
        }
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < got.size(); i++) {
            assertArrayEquals(expected.get(i).input(), got.get(i).input());
            assertArrayEquals(expected.get(i).target(), got.get(i).target());
            assertEquals(i, got.get(i).index());
        }
    }

    @Test
    void strideLongerThanTheWindowSkipsTokens() {
        WindowStream s = new WindowStream(2, 5);
        List<WindowStream.Window> w = s.append(range(0, 13));
        assertEquals(3, w.size(), "windows start at 0, 5, 10");
        assertArrayEquals(new int[] {10, 11}, w.get(2).input());
        assertArrayEquals(new int[] {11, 12}, w.get(2).target());
    }
}
