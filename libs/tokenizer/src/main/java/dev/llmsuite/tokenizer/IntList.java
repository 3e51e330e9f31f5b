package dev.llmsuite.tokenizer;

import java.util.Arrays;

/** A growable int array: token ids without boxing. */
public final class IntList {
    private int[] a;
    private int n;

    public IntList(int capacity) { a = new int[Math.max(4, capacity)]; }

    public void add(int v) {
        if (n == a.length) a = Arrays.copyOf(a, a.length * 2);
        a[n++] = v;
    }

    public void addAll(int[] vs, int from, int to) {
        int len = to - from;
        if (n + len > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, n + len));
        System.arraycopy(vs, from, a, n, len);
        n += len;
    }

    public int size() { return n; }

    public int get(int i) { return a[i]; }

    public int[] toArray() { return Arrays.copyOf(a, n); }

    /** A copy of the ids from index {@code from} to the end. */
    int[] slice(int from) { return Arrays.copyOfRange(a, from, n); }
}
