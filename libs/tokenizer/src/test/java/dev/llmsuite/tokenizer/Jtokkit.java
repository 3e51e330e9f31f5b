package dev.llmsuite.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

/** The peer our ids are checked against: jtokkit's r50k_base (tiktoken's gpt2), ordinary encoding. */
final class Jtokkit {
    static final Encoding R50K = Encodings.newDefaultEncodingRegistry()
            .getEncoding(EncodingType.R50K_BASE);

    private Jtokkit() {}

    static int[] encodeOrdinary(String text) {
        return R50K.encodeOrdinary(text).toArray();
    }
}
