package dev.llmsuite.engine.io.gguf;

import dev.llmsuite.engine.cpu.Bf16Matrix;
import java.nio.ByteBuffer;

/**
 * The tensor encodings of GGUF this suite reads and writes, with ggml's numbers and exact arithmetic:
 *
 * <pre>
 *   type   id  elements/block  bytes/block  encoding
 *   F32     0        1              4        IEEE binary32
 *   F16     1        1              2        IEEE binary16, round to nearest even
 *   Q8_0    8       32             34        d = max|x| / 127 as F16, then 32 × int8 q = roundf(x / d)  (x ≈ d·q)
 *   BF16   30        1              2        the upper half of binary32, round to nearest even
 *   Q4_K   12      256            144        read only: d, dmin (F16), 8 × 6-bit (scale, min), 256 × 4 bits;
 *                                            x = d·scale·q − dmin·min per 32 values
 *   Q5_K   13      256            176        read only: as Q4_K with a fifth bit per value (qh)
 *   Q6_K   14      256            210        read only: 256 × 6 bits (ql, qh), 16 × int8 scales, d (F16);
 *                                            x = d·scale·(q − 32) per 16 values
 * </pre>
 *
 * Q8_0 follows ggml's reference quantizer ({@code quantize_row_q8_0_ref}) to the bit: the scale divides by 127 in
 * float, multiplies by its reciprocal, and rounds half away from zero. The k-quants (what Ollama's and most
 * downloaded llama.cpp files hold: Q4_K_M is Q4_K with Q6_K for some layers) are decoded as ggml's
 * {@code dequantize_row_q4_K} / {@code _q5_K} / {@code _q6_K} decode them, to the bit, and never written. Other ggml
 * types (Q4_0, IQ…) are named in a file's header but refused when their data is read.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q8_0(8, 32, 34),
    BF16(30, 1, 2),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210);

    /** ggml's type number, as a GGUF tensor record gives it. */
    public final int id;
    /** Elements in one block: a row's length must be a multiple of it. */
    public final int blockElements;
    public final int blockBytes;

    GgmlType(int id, int blockElements, int blockBytes) {
        this.id = id;
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
    }

    /** The type with ggml's number id, or null for one this suite does not decode. */
    public static GgmlType byId(long id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    /** Lower-case name as llama.cpp prints it: f32, f16, q8_0, bf16. */
    public String label() { return name().toLowerCase(); }

    /** Whether this suite writes the type (the k-quants are read only). */
    public boolean writable() { return blockElements <= 32; }

    /** A type this suite writes, by its label. */
    public static GgmlType parse(String label) {
        for (GgmlType t : values()) if (t.writable() && t.label().equalsIgnoreCase(label)) return t;
        throw new IllegalArgumentException("a GGUF tensor type to write must be f32, f16, bf16 or q8_0, got '" + label + "'");
    }

    /** Bytes that elements take (elements a multiple of the block). */
    public long bytes(long elements) { return elements / blockElements * blockBytes; }

    /** Decodes whole blocks from src (little-endian, at its position) into dst[from, from + count). */
    public void decode(ByteBuffer src, float[] dst, int from, int count) {
        switch (this) {
            case F32 -> src.asFloatBuffer().get(dst, from, count);
            case F16 -> { for (int i = 0; i < count; i++) dst[from + i] = Float.float16ToFloat(src.getShort(src.position() + 2 * i)); }
            case BF16 -> { for (int i = 0; i < count; i++) dst[from + i] = Float.intBitsToFloat((src.getShort(src.position() + 2 * i) & 0xFFFF) << 16); }
            case Q8_0 -> {
                int p = src.position();
                for (int b = 0; b < count / 32; b++, p += 34) {
                    float d = Float.float16ToFloat(src.getShort(p));
                    for (int j = 0; j < 32; j++) dst[from + b * 32 + j] = d * src.get(p + 2 + j);
                }
            }
            case Q4_K, Q5_K -> {
                int p = src.position();
                for (int b = 0; b < count / 256; b++, p += blockBytes) decodeQ45K(src, p, this == Q5_K, dst, from + b * 256);
            }
            case Q6_K -> {
                int p = src.position();
                for (int b = 0; b < count / 256; b++, p += 210) decodeQ6K(src, p, dst, from + b * 256);
            }
        }
        src.position(src.position() + (int) bytes(count));
    }

    /**
     * One Q4_K or Q5_K block at p: d, dmin, scales[12], then (Q5_K) qh[32], then qs[128]. Each 64 values are two runs
     * of 32 (low nibbles, then high nibbles of the same 32 bytes), each with its own 6-bit scale and min.
     */
    private static void decodeQ45K(ByteBuffer src, int p, boolean fifthBit, float[] y, int at) {
        float d = Float.float16ToFloat(src.getShort(p)), min = Float.float16ToFloat(src.getShort(p + 2));
        int scales = p + 4, qh = p + 16, qs = fifthBit ? p + 48 : p + 16;
        int u1 = 1, u2 = 2;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, qs += 32, u1 <<= 2, u2 <<= 2) {
            float d1 = d * scaleK4(src, scales, is), m1 = min * minK4(src, scales, is);
            float d2 = d * scaleK4(src, scales, is + 1), m2 = min * minK4(src, scales, is + 1);
            for (int l = 0; l < 32; l++) {
                int q = src.get(qs + l) & 0xFF, high = fifthBit ? src.get(qh + l) & 0xFF : 0;
                y[at++] = d1 * ((q & 0xF) + ((high & u1) != 0 ? 16 : 0)) - m1;
            }
            for (int l = 0; l < 32; l++) {
                int q = src.get(qs + l) & 0xFF, high = fifthBit ? src.get(qh + l) & 0xFF : 0;
                y[at++] = d2 * ((q >> 4) + ((high & u2) != 0 ? 16 : 0)) - m2;
            }
        }
    }

    /** ggml's get_scale_min_k4: the j-th 6-bit scale of 12 packed bytes. */
    private static int scaleK4(ByteBuffer src, int q, int j) {
        return j < 4 ? (src.get(q + j) & 63) : ((src.get(q + j + 4) & 0xF) | (((src.get(q + j - 4) & 0xFF) >> 6) << 4));
    }

    /** ggml's get_scale_min_k4: the j-th 6-bit min of 12 packed bytes. */
    private static int minK4(ByteBuffer src, int q, int j) {
        return j < 4 ? (src.get(q + j + 4) & 63) : (((src.get(q + j + 4) & 0xFF) >> 4) | (((src.get(q + j) & 0xFF) >> 6) << 4));
    }

    /** One Q6_K block at p: ql[128], qh[64], scales[16] (int8), d. Two halves of 128 values, four runs of 32 each. */
    private static void decodeQ6K(ByteBuffer src, int p, float[] y, int at) {
        float d = Float.float16ToFloat(src.getShort(p + 208));
        int ql = p, qh = p + 128, sc = p + 192;
        for (int n = 0; n < 256; n += 128, at += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16, low0 = src.get(ql + l) & 0xFF, low32 = src.get(ql + l + 32) & 0xFF, high = src.get(qh + l) & 0xFF;
                int q1 = ((low0 & 0xF) | ((high & 3) << 4)) - 32;
                int q2 = ((low32 & 0xF) | (((high >> 2) & 3) << 4)) - 32;
                int q3 = ((low0 >> 4) | (((high >> 4) & 3) << 4)) - 32;
                int q4 = ((low32 >> 4) | (((high >> 6) & 3) << 4)) - 32;
                y[at + l] = d * src.get(sc + is) * q1;
                y[at + l + 32] = d * src.get(sc + is + 2) * q2;
                y[at + l + 64] = d * src.get(sc + is + 4) * q3;
                y[at + l + 96] = d * src.get(sc + is + 6) * q4;
            }
        }
    }

    /** Encodes src[from, from + count) (whole blocks) into dst at its position; the types {@link #writable()} only. */
    public void encode(float[] src, int from, int count, ByteBuffer dst) {
        switch (this) {
            case Q4_K, Q5_K, Q6_K -> throw new UnsupportedOperationException(label() + " is read, not written, here");
            case F32 -> { for (int i = 0; i < count; i++) dst.putFloat(src[from + i]); }
            case F16 -> { for (int i = 0; i < count; i++) dst.putShort(Float.floatToFloat16(src[from + i])); }
            case BF16 -> { for (int i = 0; i < count; i++) dst.putShort(Bf16Matrix.round(src[from + i])); }
            case Q8_0 -> {
                for (int b = 0; b < count / 32; b++) {
                    int base = from + b * 32;
                    float amax = 0f;
                    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[base + j]));
                    float d = amax / 127f;
                    float inverse = d != 0f ? 1f / d : 0f;
                    dst.putShort(Float.floatToFloat16(d));
                    for (int j = 0; j < 32; j++) dst.put((byte) roundHalfAwayFromZero(src[base + j] * inverse));
                }
            }
        }
    }

    /** C's roundf: halves away from zero (Math.round takes -2.5 to -2, roundf to -3). */
    static int roundHalfAwayFromZero(float x) {
        return (int) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }
}
