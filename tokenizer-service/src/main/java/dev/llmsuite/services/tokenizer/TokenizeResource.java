package dev.llmsuite.services.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.services.tokenizer.TokenizeApi.BatchItem;
import dev.llmsuite.services.tokenizer.TokenizeApi.BatchResponse;
import dev.llmsuite.services.tokenizer.TokenizeApi.DetokenizeBatchRequest;
import dev.llmsuite.services.tokenizer.TokenizeApi.DetokenizeRequest;
import dev.llmsuite.services.tokenizer.TokenizeApi.DetokenizeResponse;
import dev.llmsuite.services.tokenizer.TokenizeApi.TokenizeBatchRequest;
import dev.llmsuite.services.tokenizer.TokenizeApi.TokenizeRequest;
import dev.llmsuite.services.tokenizer.TokenizeApi.TokenizeResponse;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.DecodeMode;
import dev.llmsuite.tokenizer.SpecialTokenPolicy;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Text → ids and ids → text. Batch forms answer item by item: an item that fails carries its
 * {@code error} and the others still succeed. Sizes over the configured limits are a 413.
 */
@Path("/v1")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class TokenizeResource {
    private final TokenizerRegistry registry;
    private final TokenizerConfig config;

    TokenizeResource(TokenizerRegistry registry, TokenizerConfig config) {
        this.registry = registry;
        this.config = config;
    }

    @POST
    @Path("/tokenize")
    public TokenizeResponse tokenize(TokenizeRequest req) {
        if (req == null || req.text() == null) throw ProblemException.badRequest("'text' is required");
        checkText(req.text(), "text");
        BpeTokenizer t = registry.require(req.encoding());
        int[] ids = t.encode(req.text(), policy(t, req.allowedSpecial(), req.ordinary()));
        return new TokenizeResponse(ids, ids.length, t.vocabulary().name(), t.vocabulary().hash());
    }

    @POST
    @Path("/tokenize/batch")
    public BatchResponse tokenizeBatch(TokenizeBatchRequest req) {
        if (req == null || req.texts() == null) throw ProblemException.badRequest("'texts' is required");
        checkBatch(req.texts().size());
        BpeTokenizer t = registry.require(req.encoding());
        SpecialTokenPolicy policy = policy(t, req.allowedSpecial(), req.ordinary());
        for (int i = 0; i < req.texts().size(); i++) {
            if (req.texts().get(i) == null) throw ProblemException.badRequest("texts[" + i + "] is null");
            checkText(req.texts().get(i), "texts[" + i + "]");
        }
        List<BatchItem> results = new ArrayList<>();
        for (String text : req.texts()) {
            try {
                results.add(BatchItem.ids(t.encode(text, policy)));
            } catch (IllegalArgumentException e) {
                results.add(BatchItem.error(e.getMessage())); // this item only; the others go on
            }
        }
        return new BatchResponse(results, t.vocabulary().name(), t.vocabulary().hash());
    }

    @POST
    @Path("/detokenize")
    public DetokenizeResponse detokenize(DetokenizeRequest req) {
        if (req == null || req.ids() == null) throw ProblemException.badRequest("'ids' is required");
        checkIds(req.ids(), "ids");
        BpeTokenizer t = registry.require(req.encoding());
        return new DetokenizeResponse(t.decode(req.ids(), mode(req.mode())), t.vocabulary().name());
    }

    @POST
    @Path("/detokenize/batch")
    public BatchResponse detokenizeBatch(DetokenizeBatchRequest req) {
        if (req == null || req.batch() == null) throw ProblemException.badRequest("'batch' is required");
        checkBatch(req.batch().size());
        BpeTokenizer t = registry.require(req.encoding());
        DecodeMode mode = mode(req.mode());
        List<BatchItem> results = new ArrayList<>();
        for (int i = 0; i < req.batch().size(); i++) {
            int[] ids = req.batch().get(i);
            if (ids == null) throw ProblemException.badRequest("batch[" + i + "] is null");
            checkIds(ids, "batch[" + i + "]");
            try {
                results.add(BatchItem.text(t.decode(ids, mode)));
            } catch (IllegalArgumentException e) {
                results.add(BatchItem.error(e.getMessage()));
            }
        }
        return new BatchResponse(results, t.vocabulary().name(), t.vocabulary().hash());
    }

    /** tiktoken's allowed_special: absent = none, "all", or a list of names the encoding has. */
    static SpecialTokenPolicy policy(BpeTokenizer t, JsonNode allowed, Boolean ordinary) {
        if (Boolean.TRUE.equals(ordinary)) {
            if (allowed != null && !allowed.isNull()) {
                throw ProblemException.badRequest("'ordinary' and 'allowed_special' exclude each other");
            }
            return SpecialTokenPolicy.ORDINARY;
        }
        if (allowed == null || allowed.isNull()) return SpecialTokenPolicy.REJECT;
        if (allowed.isTextual() && allowed.asText().equals("all")) return SpecialTokenPolicy.ALLOW_ALL;
        if (!allowed.isArray()) throw ProblemException.badRequest("'allowed_special' must be \"all\" or a list of names");
        Set<String> names = new HashSet<>();
        for (JsonNode n : allowed) {
            if (!n.isTextual() || !t.vocabulary().specialTokens().containsKey(n.asText())) {
                throw ProblemException.badRequest("'" + n.asText() + "' is not a special token of "
                        + t.vocabulary().name() + " " + t.vocabulary().specialTokens().keySet());
            }
            names.add(n.asText());
        }
        return SpecialTokenPolicy.allow(names);
    }

    static DecodeMode mode(String mode) {
        if (mode == null || mode.equals("lenient")) return DecodeMode.LENIENT;
        if (mode.equals("strict")) return DecodeMode.STRICT;
        throw ProblemException.badRequest("'mode' must be \"lenient\" or \"strict\", got '" + mode + "'");
    }

    private void checkText(String text, String what) {
        if (text.length() > config.maxTextChars()) {
            throw ProblemException.tooLarge(what + " has " + text.length() + " chars; the limit is " + config.maxTextChars());
        }
    }

    private void checkIds(int[] ids, String what) {
        if (ids.length > config.maxIds()) {
            throw ProblemException.tooLarge(what + " has " + ids.length + " ids; the limit is " + config.maxIds());
        }
    }

    private void checkBatch(int size) {
        if (size > config.maxBatchItems()) {
            throw ProblemException.tooLarge("batch has " + size + " items; the limit is " + config.maxBatchItems());
        }
    }
}
