package lodestar.usage.internal;

import java.util.Locale;
import lodestar.api.event.RequestEvent.TokenCounts;

/**
 * A model's prices in US dollars per one million tokens.
 *
 * @param inputPerM uncached input tokens
 * @param outputPerM output tokens
 * @param cachedPerM input tokens read from a prompt cache (defaults to the input price)
 * @param cacheWritePerM input tokens written to a prompt cache (defaults to the input price)
 */
record Price(double inputPerM, double outputPerM, double cachedPerM, double cacheWritePerM) {

    private static final double MILLION = 1_000_000.0;

    /** Checks the invariants. */
    Price {
        if (!(inputPerM >= 0) || !(outputPerM >= 0) || !(cachedPerM >= 0)
                || !(cacheWritePerM >= 0) || Double.isInfinite(inputPerM)
                || Double.isInfinite(outputPerM) || Double.isInfinite(cachedPerM)
                || Double.isInfinite(cacheWritePerM)) {
            throw new IllegalArgumentException("prices must be finite numbers >= 0");
        }
    }

    /**
     * What a request costs. Input tokens include cached and cache-written ones: those are
     * charged at their own prices, the rest at the input price.
     *
     * @param tokens the request's token counts
     * @return US dollars
     */
    double cost(final TokenCounts tokens) {
        final long cached = Math.max(0, tokens.cachedInput());
        final long written = Math.max(0, tokens.cacheCreation());
        final long uncached = Math.max(0, tokens.input() - cached - written);
        return (uncached * inputPerM + cached * cachedPerM + written * cacheWritePerM
                + Math.max(0, tokens.output()) * outputPerM) / MILLION;
    }

    /**
     * Parses {@code input=2.5,output=10,cached=1.25,cacheWrite=3.75} (USD per 1M tokens;
     * {@code input} and {@code output} required).
     *
     * @param text the value
     * @return the price
     * @throws IllegalArgumentException when malformed
     */
    static Price parse(final String text) {
        Double input = null;
        Double output = null;
        Double cached = null;
        Double write = null;
        for (final String part : text.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            final int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("expected name=value, got '" + part.trim()
                        + "'");
            }
            final String name = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            final double value;
            try {
                value = Double.parseDouble(part.substring(eq + 1).trim());
            } catch (final NumberFormatException e) {
                throw new IllegalArgumentException("'" + name + "' is not a number");
            }
            switch (name) {
                case "input" -> input = value;
                case "output" -> output = value;
                case "cached" -> cached = value;
                case "cachewrite" -> write = value;
                default -> throw new IllegalArgumentException("unknown price '" + name
                        + "' (input, output, cached, cacheWrite)");
            }
        }
        if (input == null || output == null) {
            throw new IllegalArgumentException("input and output are required");
        }
        return new Price(input, output, cached == null ? input : cached,
                write == null ? input : write);
    }

    /**
     * The canonical text of the price, as it is hashed.
     *
     * @return the text
     */
    String canonical() {
        return String.format(Locale.ROOT, "input=%s,output=%s,cached=%s,cacheWrite=%s",
                Double.toString(inputPerM), Double.toString(outputPerM),
                Double.toString(cachedPerM), Double.toString(cacheWritePerM));
    }
}
