package dev.llmsuite.engine.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.ComputeBackends;
import dev.llmsuite.engine.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;

/** With the module and the runtime present, `tornado` takes the device and `auto` takes it only if it is not a CPU. */
class BackendSelectionTest {

    @Test
    void tornadoTakesTheDeviceAndAutoSkipsCpuDevices() {
        TornadoDevice.backend(); // skips when no device answers
        Map<String, String> small = Map.of("tornado-memory", "64m");
        List<String> lines = new ArrayList<>();
        try (ComputeBackend b = ComputeBackends.select("tornado", 0, 2, small, lines::add)) {
            assertTrue(b instanceof TornadoBackend, lines.toString());
            assertEquals(List.of("compute backend: " + b.name()), lines);
        }
        lines.clear();
        boolean cpuDevice = TornadoDevices.get(0, false).getDeviceType() == TornadoDeviceType.CPU;
        try (ComputeBackend b = ComputeBackends.select("auto", 0, 2, small, lines::add)) {
            assertEquals(cpuDevice, b instanceof CpuBackend, lines.toString());
            assertEquals(1, lines.size(), lines.toString());
            if (cpuDevice) assertTrue(lines.get(0).contains("is a CPU"), lines.get(0));
        }
        lines.clear();
        try (ComputeBackend b = ComputeBackends.select("tornado", 99, 2, small, lines::add)) {
            assertTrue(b instanceof CpuBackend);
            assertTrue(lines.get(0).contains("llm.compute.device 99 outside"), lines.get(0));
        }
    }
}
