package dev.llmsuite.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * A chat template is code from a model's files, and a conversation is text from anyone who can call the API: neither
 * reaches Java objects, files or unbounded memory, and each failure is a ChatTemplateException with a reason.
 */
class ChatTemplateHostileTest {
    private static final List<ChatMessage> HELLO = List.of(ChatMessage.of("user", "hello"));

    private static String render(String template) {
        return new ChatTemplate(template, "<s>", "</s>").render(HELLO, true);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{{ 'x'.repeat(2000000000) }}",                                  // Java's String methods are not Python's
        "{{ messages[0].content.getClass().forName('java.lang.Runtime') }}",
        "{{ 'x'.getBytes() }}",
        "{% include '/etc/passwd' %}",                                    // no files,
        "{% include 'META-INF/MANIFEST.MF' %}",                           // no class-path resources
        "{% import 'macros.jinja' as m %}{{ m.x() }}",
        "{% from 'x.jinja' import y %}{{ y() }}",
        "{{ raise_exception('Conversation roles must alternate user/assistant') }}",
        "{{ 'ab'.replace('', 'x' * 100) }}",
        "{% for message in messages %}",                                  // unterminated
        "{{ strftime_now('%Q') }}",
    })
    void refusedWithAReason(String template) {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render(template));
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void raiseExceptionSaysTheTemplatesOwnWords() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render("{{ raise_exception('roles must alternate') }}"));
        assertEquals("roles must alternate", e.getMessage());
    }

    @Test
    void outputAndLoopsAreBounded() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            // 10^8 iterations of 10 characters: stopped at the output limit, not after a gigabyte
            assertThrows(ChatTemplateException.class,
                    () -> render("{% for a in range(10000) %}{% for b in range(10000) %}xxxxxxxxxx{% endfor %}{% endfor %}"));
            // range is capped at 10,000 elements whatever it is asked
            String counted = render("{% for i in range(2000000000) %}.{% endfor %}");
            assertTrue(counted.length() <= 10_000, counted.length() + " characters");
            // a string doubled 40 times is stopped at the cap
            assertThrows(ChatTemplateException.class, () -> render(
                    "{% set s = 'xxxxxxxxxx' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s|length }}"));
            assertThrows(ChatTemplateException.class, () -> render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"));
        });
    }

    @Test
    void deepNestingIsRefusedBeforeJinjavaParsesIt() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            // thousands of brackets took Jinjava's parser minutes; thousands of blocks overflowed its stack
            String brackets = "{{ " + "(".repeat(20_000) + "1" + ")".repeat(20_000) + " }}";
            assertThrows(ChatTemplateException.class, () -> render(brackets));
            String blocks = "{% if 1 %}".repeat(4_000) + "{% endif %}".repeat(4_000);
            assertThrows(ChatTemplateException.class, () -> render(blocks));
            assertEquals("1", render("{{ " + "(".repeat(60) + "1" + ")".repeat(60) + " }}"));
            // long flat expressions and literals parse in linear time
            assertThrows(ChatTemplateException.class, () -> render("{{ 1" + "+1".repeat(40_000) + " }}"));
            assertEquals(500_000, render("{{ '" + "x".repeat(500_000) + "' }}").length());
        });
    }

    @Test
    void templatesLongerThanTheCapAreRefused() {
        String huge = "x".repeat(ChatTemplate.MAX_TEMPLATE_CHARS + 1);
        assertThrows(ChatTemplateException.class, () -> new ChatTemplate(huge, null, null));
    }

    @Test
    void aConversationIsDataNeverTemplateCode() {
        ChatTemplate template = new ChatTemplate("{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}", null, null);
        String sneaky = "{{ 7 * 7 }}{% include '/etc/passwd' %}{# x #}";
        assertEquals("[user]" + sneaky, template.render(List.of(ChatMessage.of("user", sneaky)), false));
    }

    /** Further variables (a server's chat_template_kwargs, the CLI's --template-var) cannot replace what a render sets. */
    @Test
    void variablesCannotSetTheConversationOrTheModelsTokens() {
        ChatTemplate template = new ChatTemplate("{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ flag }}", "<s>", "</s>");
        assertEquals("<s>hi1", template.render(List.of(ChatMessage.of("user", "hi")), List.of(), false, Map.of("flag", 1L)));
        for (String own : List.of("messages", "tools", "add_generation_prompt", "bos_token", "eos_token")) {
            ChatTemplateException e = assertThrows(ChatTemplateException.class,
                    () -> template.render(List.of(ChatMessage.of("user", "hi")), List.of(), false, Map.of(own, "x")), own);
            assertTrue(e.getMessage().contains("cannot set '" + own + "'"), e.getMessage());
        }
    }
}
