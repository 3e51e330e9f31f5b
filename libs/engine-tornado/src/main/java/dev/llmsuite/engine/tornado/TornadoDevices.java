package dev.llmsuite.engine.tornado;

import java.util.ArrayList;
import java.util.List;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;

/** The devices TornadoVM sees, numbered across its backends in its own order (as {@code tornado --devices} lists them). */
public final class TornadoDevices {
    private TornadoDevices() {}

    public static List<TornadoDevice> all() {
        List<TornadoDevice> devices = new ArrayList<>();
        for (TornadoBackend backend : TornadoExecutionPlan.getTornadoDeviceMap().getAllBackends()) {
            for (int i = 0; i < backend.getNumDevices(); i++) devices.add(backend.getDevice(i));
        }
        return devices;
    }

    /** Device {@code index}; with acceleratorsOnly, an OpenCL CPU device (PoCL) is refused. */
    public static TornadoDevice get(int index, boolean acceleratorsOnly) {
        List<TornadoDevice> devices = all();
        if (devices.isEmpty()) throw new IllegalStateException("TornadoVM sees no device");
        if (index < 0 || index >= devices.size()) {
            throw new IllegalArgumentException("llm.compute.device " + index + " outside the " + devices.size() + " TornadoVM devices");
        }
        TornadoDevice device = devices.get(index);
        if (acceleratorsOnly && device.getDeviceType() == TornadoDeviceType.CPU) {
            throw new IllegalStateException("TornadoVM device " + index + " (" + device.getDeviceName()
                    + ") is a CPU; the CPU backend is faster there (llm.compute.backend=tornado uses it anyway)");
        }
        return device;
    }
}
