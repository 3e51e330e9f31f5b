package dev.llmsuite.services.tokenizer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** Request and response bodies of the tokenize and detokenize endpoints. */
final class TokenizeApi {
    private TokenizeApi() {}

    /**
     * @param allowedSpecial "all", or a list of special-token names that may appear as such; absent:
     *                       text spelling a special token is rejected (tiktoken's default)
     * @param ordinary       true: special-token text is encoded as plain text
     */
    record TokenizeRequest(String text, String encoding,
                           @JsonProperty("allowed_special") JsonNode allowedSpecial, Boolean ordinary) {}

    record TokenizeBatchRequest(List<String> texts, String encoding,
                                @JsonProperty("allowed_special") JsonNode allowedSpecial, Boolean ordinary) {}

    record TokenizeResponse(int[] ids, int count, String encoding,
                            @JsonProperty("vocabulary_hash") String vocabularyHash) {}

    /** @param mode "lenient" (default: invalid UTF-8 becomes U+FFFD) or "strict" */
    record DetokenizeRequest(int[] ids, String encoding, String mode) {}

    record DetokenizeBatchRequest(List<int[]> batch, String encoding, String mode) {}

    record DetokenizeResponse(String text, String encoding) {}

    /** One item of a batch answer: its result, or the error that item alone met. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record BatchItem(int[] ids, Integer count, String text, String error) {
        static BatchItem ids(int[] ids) { return new BatchItem(ids, ids.length, null, null); }
        static BatchItem text(String text) { return new BatchItem(null, null, text, null); }
        static BatchItem error(String error) { return new BatchItem(null, null, null, error); }
    }

    record BatchResponse(List<BatchItem> results, String encoding,
                         @JsonProperty("vocabulary_hash") String vocabularyHash) {}
}
