package lodestar.provider.common;

import java.util.List;

/** A configuration that cannot be used, with every problem found. */
public final class InvalidConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final List<String> problems;

    /**
     * An invalid configuration.
     *
     * @param source where the configuration came from
     * @param problems the problems, one sentence each, free of secrets
     */
    public InvalidConfigException(final String source, final List<String> problems) {
        super("Invalid configuration in " + source + ": " + String.join("; ", problems));
        this.source = source;
        this.problems = List.copyOf(problems);
    }

    /**
     * Where the configuration came from.
     *
     * @return the file or PID
     */
    public String source() {
        return source;
    }

    /**
     * The problems, one sentence each, free of secrets.
     *
     * @return the problems
     */
    public List<String> problems() {
        return problems;
    }
}
