package dev.llmsuite.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import java.util.Map;

/**
 * {@code x is iterable} as in Python, where a string is iterable (Jinjava says no): Llama 3.1's and 3.2's templates
 * write a tool's answer {@code |tojson} when it "is mapping or is iterable", so a string answer reaches the prompt
 * JSON-quoted, as transformers renders it.
 */
final class IterableTest implements ExpTest {
    @Override
    public String getName() {
        return "iterable";
    }

    @Override
    public boolean evaluate(Object value, JinjavaInterpreter interpreter, Object... args) {
        return value instanceof CharSequence || value instanceof Iterable<?> || value instanceof Map<?, ?>
                || (value != null && value.getClass().isArray());
    }
}
