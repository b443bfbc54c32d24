package lodestar.usage.internal;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Sessions and model switches. A session is the run of requests with one session id in which
 * no gap between the end of one request and the arrival of the next exceeds the idle limit;
 * it starts at its first request. A model switch is a successful request of a session served
 * by another model than the session's previous successful request (failed requests were not
 * served, so they neither switch nor count as the previous model).
 *
 * <p>Confined to the writer thread.
 */
final class SessionTracker {

    private final long idleMs;
    private final Map<String, State> open = new HashMap<>();

    /**
     * Creates a tracker.
     *
     * @param idleMs the idle gap that ends a session
     */
    SessionTracker(final long idleMs) {
        this.idleMs = Math.max(1, idleMs);
    }

    /**
     * Places a request in its session.
     *
     * @param key the session key
     * @param tsMs the request's arrival
     * @param endMs the request's end
     * @param model the model that served it, or {@code null}
     * @param served whether it succeeded
     * @return the session's start and the model switched from, if any
     */
    Assignment assign(final String key, final long tsMs, final long endMs, final String model,
            final boolean served) {
        State state = open.get(key);
        if (state == null || tsMs - state.lastEndMs > idleMs) {
            state = new State(tsMs);
            open.put(key, state);
        }
        String switchedFrom = null;
        if (served && model != null) {
            if (state.lastModel != null && !state.lastModel.equals(model)) {
                switchedFrom = state.lastModel;
            }
            state.lastModel = model;
        }
        state.lastEndMs = Math.max(state.lastEndMs, endMs);
        return new Assignment(state.startMs, switchedFrom);
    }

    /**
     * Takes in a request already recorded (after a restart), oldest first.
     *
     * @param key the session key
     * @param startMs the session start recorded with it
     * @param endMs the request's end
     * @param model the model, or {@code null}
     * @param served whether it succeeded
     */
    void restore(final String key, final long startMs, final long endMs, final String model,
            final boolean served) {
        State state = open.get(key);
        if (state == null || state.startMs != startMs) {
            state = new State(startMs);
            open.put(key, state);
        }
        if (served && model != null) {
            state.lastModel = model;
        }
        state.lastEndMs = Math.max(state.lastEndMs, endMs);
    }

    /**
     * Forgets sessions idle for longer than the limit.
     *
     * @param nowMs the current time
     * @return how many were forgotten
     */
    int prune(final long nowMs) {
        int removed = 0;
        for (final Iterator<State> it = open.values().iterator(); it.hasNext();) {
            if (nowMs - it.next().lastEndMs > idleMs) {
                it.remove();
                removed++;
            }
        }
        return removed;
    }

    /**
     * Sessions open now.
     *
     * @return the count
     */
    int size() {
        return open.size();
    }

    /**
     * Where a request goes.
     *
     * @param startMs the session's start
     * @param switchedFrom the previous model when the request switched, else {@code null}
     */
    record Assignment(long startMs, String switchedFrom) {
    }

    private static final class State {
        private final long startMs;
        private long lastEndMs;
        private String lastModel;

        State(final long startMs) {
            this.startMs = startMs;
            this.lastEndMs = startMs;
        }
    }
}
