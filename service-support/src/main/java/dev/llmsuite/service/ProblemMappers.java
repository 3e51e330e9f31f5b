package dev.llmsuite.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns every error a resource can raise into a problem body. */
public class ProblemMappers {
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        Response r = e.problem().toResponse();
        if (e.retryAfterSeconds() == null) return r;
        return Response.fromResponse(r).header("Retry-After", e.retryAfterSeconds()).build();
    }

    /** Malformed JSON or a field of the wrong type: the client's fault, said precisely. */
    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        String where = "";
        if (e instanceof MismatchedInputException m && !m.getPath().isEmpty()) {
            StringBuilder path = new StringBuilder();
            for (var ref : m.getPath()) {
                if (ref.getFieldName() != null) path.append(path.isEmpty() ? "" : ".").append(ref.getFieldName());
                else path.append('[').append(ref.getIndex()).append(']');
            }
            where = " at '" + path + "'";
        }
        String what = e instanceof InvalidFormatException ? "invalid value" : "malformed JSON";
        return Problem.of(400, what + where + ": " + e.getOriginalMessage()).toResponse();
    }

    /** More specific than the framework's own mapper for this type, so ours wins. */
    @ServerExceptionMapper
    public Response mismatchedJson(MismatchedInputException e) {
        return badJson(e);
    }

    /** 404, 405, 415 and friends from the framework keep their status and gain a body. */
    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        // The JSON reader wraps parse errors in a bare 400: unwrap them to say what was wrong.
        if (e.getCause() instanceof JsonProcessingException json) return badJson(json);
        int status = e.getResponse().getStatus();
        if (status >= 500) LOG.error("request failed", e);
        return Problem.of(status, e.getMessage()).toResponse();
    }

    @ServerExceptionMapper
    public Response illegalArgument(IllegalArgumentException e) {
        return Problem.of(400, e.getMessage()).toResponse();
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("unexpected error", e);
        return Problem.of(500, "internal error: " + e.getClass().getSimpleName()).toResponse();
    }
}
