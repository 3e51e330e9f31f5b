package dev.llmsuite.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code mapping|items} (Jinja2 3.1): a dictionary's (key, value) pairs in order, for
 * {@code {% for name, fields in tool.parameters.properties|items %}} (Hermes' tool templates); Jinjava has no such
 * filter. Anything else gives no pairs, as Jinja2 gives none for an undefined value.
 */
final class ItemsFilter implements Filter {
    @Override
    public String getName() {
        return "items";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        if (!(value instanceof Map<?, ?> map)) return List.of();
        return new ArrayList<>(map.entrySet());
    }
}
