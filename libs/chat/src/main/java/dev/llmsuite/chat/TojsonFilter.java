package dev.llmsuite.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.Map;

/** {@code value|tojson(indent=N, sort_keys=B)} as transformers defines it for chat templates ({@link PythonJson}). */
final class TojsonFilter implements Filter {
    private final long maxChars;

    TojsonFilter(long maxChars) {
        this.maxChars = maxChars;
    }

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : (args.length > 0 ? args[0] : null);
        Object sortKeys = kwargs.get("sort_keys");
        Integer spaces = indent instanceof Number n ? Math.clamp(n.longValue(), 0, 16) : null;
        return PythonJson.dumps(value, spaces, Boolean.TRUE.equals(sortKeys), maxChars);
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        return filter(value, interpreter, args, Map.of());
    }
}
