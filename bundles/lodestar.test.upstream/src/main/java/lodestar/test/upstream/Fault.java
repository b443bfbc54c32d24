package lodestar.test.upstream;

import java.time.Duration;

/**
 * A misbehaviour the fake upstream applies to the next matching request.
 *
 * @param kind what goes wrong
 * @param status HTTP status for {@link Kind#STATUS}
 * @param body response body for {@link Kind#STATUS}, or {@code null} for a default error body
 * @param retryAfter {@code Retry-After} header value for {@link Kind#STATUS}, or {@code null}
 * @param delay wait before the first byte for {@link Kind#SLOW_FIRST_BYTE}, or between stream
 *     chunks for {@link Kind#SLOW_STREAM}
 * @param afterChunks chunks sent before the connection is cut, for {@link Kind#RESET_MID_STREAM}
 */
public record Fault(Kind kind, int status, String body, String retryAfter, Duration delay,
        int afterChunks) {

    /** The kinds of misbehaviour. */
    public enum Kind {
        /** Answer an HTTP error status. */
        STATUS,
        /** Wait before sending anything, then answer normally. */
        SLOW_FIRST_BYTE,
        /** Send some stream chunks, then cut the connection. */
        RESET_MID_STREAM,
        /** Answer 200 with a body that is not valid JSON. */
        MALFORMED_JSON,
        /** Stream normally, but pause before each chunk (the first one included). */
        SLOW_STREAM
    }

    /**
     * An HTTP error.
     *
     * @param status the status
     * @param retryAfter the {@code Retry-After} value, or {@code null}
     * @return the fault
     */
    public static Fault status(final int status, final String retryAfter) {
        return new Fault(Kind.STATUS, status, null, retryAfter, Duration.ZERO, 0);
    }

    /**
     * An HTTP error with a given body.
     *
     * @param status the status
     * @param body the body
     * @return the fault
     */
    public static Fault status(final int status, final String retryAfter, final String body) {
        return new Fault(Kind.STATUS, status, body, retryAfter, Duration.ZERO, 0);
    }

    /**
     * A slow first byte.
     *
     * @param delay the wait
     * @return the fault
     */
    public static Fault slowFirstByte(final Duration delay) {
        return new Fault(Kind.SLOW_FIRST_BYTE, 200, null, null, delay, 0);
    }

    /**
     * A connection cut after some chunks.
     *
     * @param afterChunks chunks sent first
     * @return the fault
     */
    public static Fault resetMidStream(final int afterChunks) {
        return new Fault(Kind.RESET_MID_STREAM, 200, null, null, Duration.ZERO, afterChunks);
    }

    /**
     * A stream that pauses before each chunk (a slow model), for client-disconnect tests.
     *
     * @param pause the wait before each chunk, the first one included
     * @return the fault
     */
    public static Fault slowStream(final Duration pause) {
        return new Fault(Kind.SLOW_STREAM, 200, null, null, pause, 0);
    }

    /**
     * Invalid JSON with status 200.
     *
     * @return the fault
     */
    public static Fault malformedJson() {
        return new Fault(Kind.MALFORMED_JSON, 200, null, null, Duration.ZERO, 0);
    }
}
