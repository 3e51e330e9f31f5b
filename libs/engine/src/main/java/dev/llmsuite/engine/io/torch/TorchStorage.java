package dev.llmsuite.engine.io.torch;

/** A storage a checkpoint holds once however many tensors share it (a tied head shares the token embedding's). */
record TorchStorage(String key, DType dtype, long elements) {

    /** Storage classes by their element type; only the floating ones can be read as floats. */
    enum DType {
        FLOAT("FloatStorage", 4, true), HALF("HalfStorage", 2, true), BFLOAT16("BFloat16Storage", 2, true),
        DOUBLE("DoubleStorage", 8, true), LONG("LongStorage", 8, false), INT("IntStorage", 4, false),
        SHORT("ShortStorage", 2, false), CHAR("CharStorage", 1, false), BYTE("ByteStorage", 1, false),
        BOOL("BoolStorage", 1, false);

        final String storageClass;
        final int bytes;
        final boolean floating;

        DType(String storageClass, int bytes, boolean floating) {
            this.storageClass = storageClass;
            this.bytes = bytes;
            this.floating = floating;
        }

        static DType of(String storageClass) {
            for (DType d : values()) if (d.storageClass.equals(storageClass)) return d;
            return null;
        }
    }

    long bytes() { return elements * dtype.bytes; }
}
