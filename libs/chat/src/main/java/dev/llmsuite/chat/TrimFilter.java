package dev.llmsuite.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

/**
 * {@code value|trim} and {@code value|trim(chars)} as Jinja2's: Python's str.strip of the value's text, and an undefined
 * value's text is empty (Jinjava's trim gives "null": Hermes' templates trim an absent parameter description).
 */
final class TrimFilter implements Filter {
    @Override
    public String getName() {
        return "trim";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        if (value == null) return "";
        String chars = args.length > 0 ? args[0] : null;
        return PythonMethods.rstrip(PythonMethods.lstrip(value.toString(), chars), chars);
    }
}
