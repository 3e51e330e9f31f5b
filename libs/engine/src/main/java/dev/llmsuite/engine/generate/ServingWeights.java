package dev.llmsuite.engine.generate;

import java.util.Locale;

/** What a {@link Decoder}'s decode steps read the linear layers and the output head from. */
public enum ServingWeights {
    /** The model's own fp32 weights. */
    FP32,
    /** bfloat16 copies: half the bytes, each value's own exponent, 8 bits of mantissa. */
    BF16,
    /** 8-bit copies with one scale per 64 values: a quarter of the bytes. */
    INT8,
    /**
     * fp32 copies in panels: the same bytes as fp32 (twice the memory, the model's own weights stay for prefill), and
     * every row of a step computed alone whatever rides with it, so speculative decoding verifies k tokens at about
     * one step's cost with a plain step's bits.
     */
    FP32_PANELS;

    /** fp32, bf16 or int8 (any case); anything else is refused with the choices. */
    public static ServingWeights parse(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("weights must be fp32, bf16, int8 or fp32_panels, not '" + name + "'");
        }
    }

    /** The name as the API and the command line write it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
