package dev.llmsuite.engine.io.tf;

/**
 * LevelDB's and TensorFlow's masked CRC32C: a checksum stored next to data is rotated and offset, so that the checksum
 * of bytes that themselves hold a checksum stays unlike one.
 */
final class Crc {
    private static final int MASK_DELTA = 0xa282ead8;

    private Crc() {}

    static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
    }
}
