package lodestar.gpu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.osgi.util.converter.Converters;

/** Recorded nvidia-smi output, scripts that replay it, and configurations for the tests. */
final class Samples {

    /** NVIDIA T600 (Turing TU117, 4 GB, 40 W), idle, driver 535. */
    static final String T600 = "0, NVIDIA T600, GPU-5a2b1c3d-9e8f-4a6b-b1c2-d3e4f5a6b7c8, "
            + "535.183.01, P8, 41, 0, 0, 5, 4096, 4.21, 40.00, 300, 405, 30\n";
    /** NVIDIA H100 80GB HBM3 (SXM, no fan), a model loaded. */
    static final String H100 = "0, NVIDIA H100 80GB HBM3, "
            + "GPU-1f3e5d7c-2b4a-6c8e-0a1b-3c5d7e9f1a2b, 550.90.07, P0, 36, 3, 1, 48213, 81559, "
            + "118.42, 700.00, 1980, 2619, [N/A]\n";
    /** NVIDIA H200 as in the wire facts. */
    static final String H200 = "0, NVIDIA H200, GPU-a104c6e2-7f1d-4b3a-9c8e-5d2f0b1a3c4e, "
            + "580.159.04, P0, 38, 0, 0, 0, 143771, 126.54, 700.00, 1980, 3201, [N/A]\n";
    /** Two different GPUs in one machine. */
    static final String TWO_GPUS = "0, NVIDIA GeForce RTX 3090, "
            + "GPU-0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f, 550.120, P2, 67, 85, 42, 23188, 24576, "
            + "312.55, 350.00, 1695, 9501, 71\n"
            + "1, NVIDIA T600, GPU-5a2b1c3d-9e8f-4a6b-b1c2-d3e4f5a6b7c8, 550.120, P8, 35, 0, 0, "
            + "1, 4096, 3.90, 40.00, 300, 405, 30\n";
    /** A laptop GPU that reports little. */
    static final String NOT_SUPPORTED = "0, Quadro P1000, "
            + "GPU-7e6d5c4b-3a29-1807-f6e5-d4c3b2a19080, 470.256.02, P8, 45, [Not Supported], "
            + "[Not Supported], 310, 4040, [N/A], [Not Supported], 139, 405, N/A\n";

    private Samples() {
    }

    /**
     * Writes an executable script that prints text and exits.
     *
     * @param dir the folder
     * @param name the file name
     * @param stdout printed on standard output
     * @param stderr printed on standard error
     * @param exit the exit status
     * @return the script
     */
    static Path script(final Path dir, final String name, final String stdout,
            final String stderr, final int exit) throws IOException {
        return shell(dir, name, "cat <<'LODESTAR_EOF'\n" + stdout + "LODESTAR_EOF\n"
                + "cat >&2 <<'LODESTAR_EOF'\n" + stderr + "LODESTAR_EOF\n"
                + "exit " + exit + "\n");
    }

    /**
     * Writes an executable shell script.
     *
     * @param dir the folder
     * @param name the file name
     * @param body the script after the {@code #!/bin/sh} line
     * @return the script
     */
    static Path shell(final Path dir, final String name, final String body)
            throws IOException {
        final Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    /**
     * A typed configuration from key/value pairs, as SCR would give it.
     *
     * @param keyValues alternating keys and values
     * @return the configuration
     */
    static GpuConfig config(final Object... keyValues) {
        return Converters.standardConverter().convert(map(keyValues)).to(GpuConfig.class);
    }

    /**
     * Component properties from key/value pairs.
     *
     * @param keyValues alternating keys and values
     * @return the properties
     */
    static Map<String, Object> map(final Object... keyValues) {
        final Map<String, Object> map = new HashMap<>();
        map.put("service.pid", "lodestar.gpu");
        map.put("component.name", "lodestar.gpu");
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    /**
     * Checked settings from key/value pairs.
     *
     * @param keyValues alternating keys and values
     * @return the settings
     */
    static GpuSettings settings(final Object... keyValues) {
        return GpuSettings.of(config(keyValues), GpuSettings.DEFAULTS, new ArrayList<>());
    }
}
