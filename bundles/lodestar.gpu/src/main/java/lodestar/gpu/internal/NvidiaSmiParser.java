package lodestar.gpu.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import lodestar.api.gpu.GpuStatus;

/**
 * Parses the CSV that {@code nvidia-smi --query-gpu=... --format=csv,noheader,nounits} prints:
 * one line per GPU, the fields of {@link #FIELDS} separated by a comma and a space. Values the
 * GPU does not report ({@code [N/A]}, {@code [Not Supported]}, {@code N/A}, empty, any other
 * {@code [...]}) become {@code null}.
 */
final class NvidiaSmiParser {

    /** The queried fields, in the order nvidia-smi prints them. */
    static final List<String> FIELDS = List.of("index", "name", "uuid", "driver_version",
            "pstate", "temperature.gpu", "utilization.gpu", "utilization.memory", "memory.used",
            "memory.total", "power.draw", "power.limit", "clocks.sm", "clocks.mem", "fan.speed");
    /** The {@code --query-gpu} argument. */
    static final String QUERY_ARGUMENT = "--query-gpu=" + String.join(",", FIELDS);
    /** The {@code --format} argument. */
    static final String FORMAT_ARGUMENT = "--format=csv,noheader,nounits";

    private static final int MAX_QUOTE = 120;
    private static final Pattern NUMBER = Pattern.compile("-?\\d{1,15}(\\.\\d{1,15})?");

    /** Output that cannot be read as the queried CSV. */
    static final class UnexpectedOutputException extends Exception {

        private static final long serialVersionUID = 1L;

        UnexpectedOutputException(final String message) {
            super(message);
        }
    }

    private NvidiaSmiParser() {
    }

    /**
     * Parses the whole output.
     *
     * @param output what nvidia-smi printed on its standard output
     * @return one status per non-blank line, in order
     * @throws UnexpectedOutputException when a line has the wrong number of fields or a number
     *         that is not one
     */
    static List<GpuStatus> parse(final String output) throws UnexpectedOutputException {
        final List<GpuStatus> gpus = new ArrayList<>();
        final String[] lines = output == null ? new String[0] : output.split("\\R");
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].isBlank()) {
                gpus.add(parseLine(lines[i], i + 1));
            }
        }
        return gpus;
    }

    /**
     * Parses one line.
     *
     * @param line the line
     * @param number its line number, for messages
     * @return the status
     * @throws UnexpectedOutputException when it cannot be read
     */
    static GpuStatus parseLine(final String line, final int number)
            throws UnexpectedOutputException {
        final String[] raw = line.split(",", -1);
        if (raw.length != FIELDS.size()) {
            throw new UnexpectedOutputException("line " + number + " of the nvidia-smi output has "
                    + raw.length + " field(s), expected " + FIELDS.size() + ": '"
                    + quote(line) + "'");
        }
        final String[] f = new String[raw.length];
        for (int i = 0; i < raw.length; i++) {
            f[i] = unknown(raw[i].trim()) ? null : raw[i].trim();
        }
        final Integer index = integer(f, 0, number);
        if (index == null) {
            throw new UnexpectedOutputException("line " + number
                    + " of the nvidia-smi output has no GPU index: '" + quote(line) + "'");
        }
        return new GpuStatus(index, f[1], f[2], f[3], f[4],
                integer(f, 5, number), integer(f, 6, number), integer(f, 7, number),
                longValue(f, 8, number), longValue(f, 9, number),
                decimal(f, 10, number), decimal(f, 11, number),
                integer(f, 12, number), integer(f, 13, number), integer(f, 14, number));
    }

    /**
     * Whether a value means "unknown".
     *
     * @param value the trimmed value
     * @return {@code true} for empty, {@code N/A} and any {@code [...]}
     */
    static boolean unknown(final String value) {
        return value.isEmpty() || "N/A".equalsIgnoreCase(value)
                || value.startsWith("[") && value.endsWith("]");
    }

    private static Integer integer(final String[] f, final int i, final int line)
            throws UnexpectedOutputException {
        final Double value = decimal(f, i, line);
        return value == null ? null : (int) Math.round(value);
    }

    private static Long longValue(final String[] f, final int i, final int line)
            throws UnexpectedOutputException {
        final Double value = decimal(f, i, line);
        return value == null ? null : Math.round(value);
    }

    private static Double decimal(final String[] f, final int i, final int line)
            throws UnexpectedOutputException {
        if (f[i] == null) {
            return null;
        }
        if (NUMBER.matcher(f[i]).matches()) {
            return Double.parseDouble(f[i]);
        }
        throw new UnexpectedOutputException(FIELDS.get(i) + " in line " + line
                + " of the nvidia-smi output is not a number: '" + quote(f[i]) + "'");
    }

    private static String quote(final String text) {
        final String clean = text.replaceAll("\\p{Cntrl}", "?");
        return clean.length() <= MAX_QUOTE ? clean : clean.substring(0, MAX_QUOTE) + "...";
    }
}
