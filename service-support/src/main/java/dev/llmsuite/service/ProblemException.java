package dev.llmsuite.service;

/** Thrown by a resource to answer with a problem body: a status and a sentence that says what was wrong. */
public class ProblemException extends RuntimeException {
    private final int status;

    public ProblemException(int status, String detail) {
        super(detail);
        this.status = status;
    }

    public static ProblemException badRequest(String detail) { return new ProblemException(400, detail); }
    public static ProblemException notFound(String detail) { return new ProblemException(404, detail); }
    public static ProblemException tooLarge(String detail) { return new ProblemException(413, detail); }

    public int status() { return status; }

    public Problem problem() { return Problem.of(status, getMessage()); }
}
