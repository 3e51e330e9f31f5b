package dev.llmsuite.records;

/** A record whose bytes do not decode: wrong magic, unknown version, truncated, or out of range. */
public final class MalformedRecordException extends RuntimeException {
    public MalformedRecordException(String message) {
        super(message);
    }
}
