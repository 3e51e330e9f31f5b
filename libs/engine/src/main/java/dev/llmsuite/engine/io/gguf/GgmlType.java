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
 * </pre>
 *
 * Q8_0 follows ggml's reference quantizer ({@code quantize_row_q8_0_ref}) to the bit: the scale divides by 127 in
 * float, multiplies by its reciprocal, and rounds half away from zero. Other ggml types (the k-quants, 4-bit) are
 * named in a file's header but refused when their data is read.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q8_0(8, 32, 34),
    BF16(30, 1, 2);

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

    public static GgmlType parse(String label) {
        for (GgmlType t : values()) if (t.label().equalsIgnoreCase(label)) return t;
        throw new IllegalArgumentException("a GGUF tensor type must be f32, f16, bf16 or q8_0, got '" + label + "'");
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
        }
        src.position(src.position() + (int) bytes(count));
    }

    /** Encodes src[from, from + count) (whole blocks) into dst at its position. */
    public void encode(float[] src, int from, int count, ByteBuffer dst) {
        switch (this) {
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
