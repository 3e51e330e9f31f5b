package dev.llmsuite.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The pieces that make Jinjava render as Jinja2 does, one by one: the source rewrites, Python's string methods,
 * and {@code json.dumps}. The expected strings are Python 3's own output (checked with python3 when written).
 */
class JinjaPythonBehaviourTest {

    @Test
    void rewritesOnlyWhatJinjavaReadsOtherwise() {
        assertEquals("{% for m in messages|reverse %}", JinjavaDialect.rewrite("{% for m in messages[::-1] %}"));
        assertEquals("{{ '[::-1]' }} [::-1]", JinjavaDialect.rewrite("{{ '[::-1]' }} [::-1]")); // strings and text stay
        assertEquals("{% set ns = namespace(a=(true), b=(messages|length - 1)) %}",
                JinjavaDialect.rewrite("{% set ns = namespace(a=true, b=messages|length - 1) %}"));
        assertEquals("{{ f(x=(g(y=(1 + 2)) - 3)) }}", JinjavaDialect.rewrite("{{ f(x=g(y=1 + 2) - 3) }}"));
        assertEquals("{% if a == b and c != d and e <= f and (g >= h) %}",
                JinjavaDialect.rewrite("{% if a == b and c != d and e <= f and (g >= h) %}"));
        assertEquals("{%- if date_string is not defined %}", JinjavaDialect.rewrite("{%- if not date_string is defined %}"));
        assertEquals("{% if m['role'] is none %}", JinjavaDialect.rewrite("{% if not m['role'] is not none %}"));
        assertEquals("{{ 'not x is defined' }}", JinjavaDialect.rewrite("{{ 'not x is defined' }}"));
        assertEquals("{# f(a=b - 1) #}", JinjavaDialect.rewrite("{# f(a=b - 1) #}"));
        assertEquals("{% for m in messages %}{{ (none if loop.first else (messages)[loop.index0 - 1]) }}{% endfor %}{{ loop.previtem }}",
                JinjavaDialect.rewrite("{% for m in messages %}{{ loop.previtem }}{% endfor %}{{ loop.previtem }}"));
    }

    @Test
    void neighboursItemsAndTrimAreJinja2s() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}[{{ loop.previtem.content if loop.previtem else '-' }}>"
                + "{{ m.content }}<{{ loop.nextitem.content if loop.nextitem else '-' }}]{% endfor %}"
                + "{% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}|{{ missing|trim }}|{{ '  x  '|trim }}|{{ 'xxaxx'|trim('x') }}", null, null);
        Map<String, Object> variables = new LinkedHashMap<>();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("b", 1);
        d.put("a", 2);
        variables.put("d", d);
        assertEquals("[->one<two][one>two<three][two>three<-]b=1;a=2;||x|a", t.render(
                List.of(ChatMessage.of("user", "one"), ChatMessage.of("assistant", "two"), ChatMessage.of("user", "three")),
                List.of(), false, variables));
    }

    @Test
    void stringMethodsArePythons() {
        assertEquals(List.of("a", "", "b"), PythonMethods.split("a..b", ".", -1));          // a separator, not a regex
        assertEquals(List.of("a", "b c "), PythonMethods.split("  a  b c ", null, 1));      // runs of whitespace
        assertEquals(List.of(), PythonMethods.split("   ", null, -1));
        assertEquals("x\n", PythonMethods.lstrip("\n\nx\n", "\n"));
        assertEquals("\tx", PythonMethods.rstrip("\tx \n", null));
        ChatTemplate t = new ChatTemplate("{{ m.split('</think>')[-1].lstrip('\\n') }}|{% if m.startswith('<think>') and not m.endswith('x') %}yes{% endif %}|"
                + "{{ m.strip('<>') }}|{{ d.get('k', 'none') }}|{{ ', '.join(['a', 'b']) }}|{{ 'ab'.upper() }}", null, null);
        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("m", "<think>\nr\n</think>\n\nanswer>");
        variables.put("d", Map.of());
        assertEquals("answer>|yes|think>\nr\n</think>\n\nanswer|none|a, b|AB", t.render(List.of(), List.of(), false, variables));
    }

    @Test
    void tojsonIsPythonsJsonDumps() {
        assertEquals("1e-05 1e+16 0.1 123456789.0 1.5e-07 -0.0 1e+22 100.0 1234567890123456.0 1.2345678901234567e+19 0.0001 0.00025 -7.25 0.3333333333333333",
                String.join(" ", List.of(1e-05, 1e16, 0.1, 123456789.0, 1.5e-07, -0.0, 1e22, 100.0, 1234567890123456.0,
                        12345678901234567890.0, 0.0001, 2.5e-4, -7.25, 1.0 / 3).stream().map(PythonJson::floatRepr).toList()));
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("b", List.of(1, true, "é\"\n\u0001"));
        value.put("a", Map.of());
        value.put("c", List.of());
        // json.dumps(v, ensure_ascii=False) and json.dumps(v, ensure_ascii=False, indent=2)
        assertEquals("{\"b\": [1, true, \"é\\\"\\n\\u0001\"], \"a\": {}, \"c\": []}", PythonJson.dumps(value, null, false, 1000));
        assertEquals("{\n  \"b\": [\n    1,\n    true,\n    \"é\\\"\\n\\u0001\"\n  ],\n  \"a\": {},\n  \"c\": []\n}", PythonJson.dumps(value, 2, false, 1000));
        assertEquals("{\"a\": {}, \"b\": [1, true, \"é\\\"\\n\\u0001\"], \"c\": []}", PythonJson.dumps(value, null, true, 1000));
    }
}
