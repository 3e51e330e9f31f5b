package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.ComputeBackends;
import dev.llmsuite.engine.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Without the TornadoVM module every choice lands on the CPU backend, with one line that says why. */
class ComputeBackendsTest {

    @Test
    void withoutTornadoVmEveryChoiceIsTheCpuWithOneLine() {
        for (String choice : new String[] {"auto", "tornado", "cpu", "CPU"}) {
            List<String> lines = new ArrayList<>();
            try (ComputeBackend b = ComputeBackends.select(choice, 0, 1, lines::add)) {
                assertTrue(b instanceof CpuBackend, choice);
                assertEquals(1, lines.size(), choice + ": " + lines);
                assertTrue(lines.get(0).startsWith("compute backend: cpu"), lines.get(0));
                if (!choice.equalsIgnoreCase("cpu")) assertTrue(lines.get(0).contains("no TornadoVM backend"), lines.get(0));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ComputeBackends.select("gpu", 0, 1, l -> {}));
    }
}
