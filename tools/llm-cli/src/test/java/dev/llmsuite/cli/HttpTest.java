package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HttpTest {

    @Test
    void theCliSendsTheFirstConfiguredApiKey() {
        assertEquals(Optional.of("k1"), Http.apiKey(Map.of("LLM_AUTH_API_KEYS", " k1 , k2")));
        assertEquals(Optional.of("k2"), Http.apiKey(Map.of("LLM_AUTH_API_KEYS", ",k2")));
        assertEquals(Optional.empty(), Http.apiKey(Map.of("LLM_AUTH_API_KEYS", "")));
        assertEquals(Optional.empty(), Http.apiKey(Map.of()));
    }
}
