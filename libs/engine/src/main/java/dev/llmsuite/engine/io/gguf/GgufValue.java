package dev.llmsuite.engine.io.gguf;

import java.util.List;

/**
 * One metadata value of a GGUF file, with its GGUF type so that it is written back as it was read. Integers of
 * every width are held as {@code Long} (UINT64 as its bits), floats as {@code Double}, arrays as a {@code List} of
 * those with one element type. Arrays of arrays, which GGUF allows and no model file uses, are refused.
 */
public record GgufValue(Type type, Type elementType, Object value) {

    /** GGUF's value types, numbered as the format numbers them. */
    public enum Type {
        UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(8), ARRAY(12),
        UINT64(8), INT64(8), FLOAT64(8);

        /** The fewest bytes one value of this type takes in a file (a string's or an array's length field). */
        final int minBytes;

        Type(int minBytes) { this.minBytes = minBytes; }

        static Type byId(long id) { return id >= 0 && id < values().length ? values()[(int) id] : null; }

        boolean integral() { return this != FLOAT32 && this != FLOAT64 && this != BOOL && this != STRING && this != ARRAY; }
    }

    public static GgufValue uint32(long v) { return new GgufValue(Type.UINT32, null, v); }

    public static GgufValue float32(double v) { return new GgufValue(Type.FLOAT32, null, v); }

    public static GgufValue bool(boolean v) { return new GgufValue(Type.BOOL, null, v); }

    public static GgufValue string(String v) { return new GgufValue(Type.STRING, null, v); }

    public static GgufValue strings(List<String> v) { return new GgufValue(Type.ARRAY, Type.STRING, v); }

    public static GgufValue int32s(List<Long> v) { return new GgufValue(Type.ARRAY, Type.INT32, v); }

    /** This value as a whole number, or an exception naming the key. */
    public long asLong(String key) {
        if (type.integral() && value instanceof Long l) return l;
        throw new IllegalArgumentException("'" + key + "' must be an integer, is " + type);
    }

    public double asDouble(String key) {
        if (value instanceof Double d) return d;
        if (value instanceof Long l && type.integral()) return l;
        throw new IllegalArgumentException("'" + key + "' must be a number, is " + type);
    }

    public String asString(String key) {
        if (value instanceof String s) return s;
        throw new IllegalArgumentException("'" + key + "' must be a string, is " + type);
    }

    public boolean asBoolean(String key) {
        if (value instanceof Boolean b) return b;
        throw new IllegalArgumentException("'" + key + "' must be a boolean, is " + type);
    }

    /** The elements of an array of the given element type. */
    @SuppressWarnings("unchecked")
    public <T> List<T> asList(String key, Type element, Class<T> as) {
        if (type == Type.ARRAY && elementType == element) return (List<T>) value;
        throw new IllegalArgumentException("'" + key + "' must be an array of " + element + ", is "
                + (type == Type.ARRAY ? "an array of " + elementType : type));
    }
}
