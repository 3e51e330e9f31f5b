package dev.llmsuite.service;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Thrown by a resource to answer with a problem body: a status and a sentence that says what was wrong. */
public class ProblemException extends RuntimeException {
    private final int status;
    private final Integer retryAfterSeconds;

    public ProblemException(int status, String detail) {
        this(status, detail, null);
    }

    private ProblemException(int status, String detail, Integer retryAfterSeconds) {
        super(detail);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 429 with a Retry-After header: the service is full now, not broken. */
    public static ProblemException tooManyRequests(String detail, int retryAfterSeconds) {
        return new ProblemException(429, detail, retryAfterSeconds);
    }

    public Integer retryAfterSeconds() { return retryAfterSeconds; }

    public static ProblemException badRequest(String detail) { return new ProblemException(400, detail); }
    public static ProblemException notFound(String detail) { return new ProblemException(404, detail); }
    public static ProblemException tooLarge(String detail) { return new ProblemException(413, detail); }

    public int status() { return status; }

    /**
     * Waits until {@code ready} completes (a service catching up after its start): 503 with {@code detail} when it
     * does not within the timeout or completed exceptionally.
     */
    public static void awaitReady(Future<?> ready, Duration timeout, String detail) {
        try {
            ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new ProblemException(503, detail);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProblemException(503, "interrupted");
        }
    }

    public Problem problem() { return Problem.of(status, getMessage()); }
}
