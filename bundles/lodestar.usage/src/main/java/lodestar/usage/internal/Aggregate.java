package lodestar.usage.internal;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The sums of a group of requests, one slot per {@link Measure}. Mutable, confined to one
 * thread.
 */
final class Aggregate {

    private final long[] whole = new long[Measure.all().length];
    private final double[] money = new double[Measure.all().length];

    Aggregate() {
        whole[Measure.FIRST_MS.ordinal()] = Long.MAX_VALUE;
        whole[Measure.LAST_MS.ordinal()] = Long.MIN_VALUE;
    }

    /**
     * Adds one request.
     *
     * @param row the request
     * @return this
     */
    Aggregate add(final UsageRow row) {
        for (final Measure m : Measure.all()) {
            switch (m.kind()) {
                case MONEY -> money[m.ordinal()] += m.money(row);
                case MIN -> whole[m.ordinal()] = Math.min(whole[m.ordinal()], m.whole(row));
                case MAX -> whole[m.ordinal()] = Math.max(whole[m.ordinal()], m.whole(row));
                default -> whole[m.ordinal()] += m.whole(row);
            }
        }
        return this;
    }

    /**
     * Adds another group's sums.
     *
     * @param other the other group
     * @return this
     */
    Aggregate merge(final Aggregate other) {
        for (final Measure m : Measure.all()) {
            final int i = m.ordinal();
            switch (m.kind()) {
                case MONEY -> money[i] += other.money[i];
                case MIN -> whole[i] = Math.min(whole[i], other.whole[i]);
                case MAX -> whole[i] = Math.max(whole[i], other.whole[i]);
                default -> whole[i] += other.whole[i];
            }
        }
        return this;
    }

    /**
     * Reads the measures from a result row ({@link Measure#rawSelect()} or
     * {@link Measure#rollupSelect()} starting at {@code first}).
     *
     * @param result the result, on a row
     * @param first the column of the first measure (1-based)
     * @return the group
     * @throws SQLException on a database error
     */
    static Aggregate read(final ResultSet result, final int first) throws SQLException {
        final Aggregate aggregate = new Aggregate();
        for (final Measure m : Measure.all()) {
            final int column = first + m.ordinal();
            if (m.kind() == Measure.Kind.MONEY) {
                aggregate.money[m.ordinal()] = result.getDouble(column);
            } else {
                final long value = result.getLong(column);
                if (!result.wasNull()) {
                    aggregate.whole[m.ordinal()] = value;
                }
            }
        }
        return aggregate;
    }

    /**
     * Binds the measures as parameters ({@link Measure#mergeSource()} starting at
     * {@code first}).
     *
     * @param statement the statement
     * @param first the first parameter index
     * @throws SQLException on a database error
     */
    void bind(final PreparedStatement statement, final int first) throws SQLException {
        for (final Measure m : Measure.all()) {
            if (m.kind() == Measure.Kind.MONEY) {
                statement.setDouble(first + m.ordinal(), money[m.ordinal()]);
            } else {
                statement.setLong(first + m.ordinal(), whole[m.ordinal()]);
            }
        }
    }

    long get(final Measure measure) {
        return whole[measure.ordinal()];
    }

    double usd(final Measure measure) {
        return money[measure.ordinal()];
    }

    long requests() {
        return get(Measure.REQUESTS);
    }

    /**
     * Dollars saved against the baseline, over requests with both figures known.
     *
     * @return baseline minus actual
     */
    double savedUsd() {
        return usd(Measure.CMP_BASELINE_USD) - usd(Measure.CMP_COST_USD);
    }

    /**
     * Share saved, in percent of the comparable baseline.
     *
     * @return the percentage, or {@code null} when no baseline is known
     */
    Double savedPercent() {
        final double baseline = usd(Measure.CMP_BASELINE_USD);
        return baseline > 0 ? savedUsd() / baseline * 100.0 : null;
    }

    /**
     * Average of a time measure.
     *
     * @param sum the summed time
     * @param count the count it divides by
     * @return the mean in ms, or {@code null} without data
     */
    Double mean(final Measure sum, final Measure count) {
        final long n = get(count);
        return n == 0 ? null : (double) get(sum) / n;
    }
}
