package lodestar.usage.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SessionTrackerTest {

    private static final long MIN = 60_000;

    @Test
    void requestsCloserThanTheIdleGapShareASession() {
        final SessionTracker sessions = new SessionTracker(30 * MIN);
        assertThat(sessions.assign("s", 0, 1000, "a", true).startMs()).isZero();
        assertThat(sessions.assign("s", 10 * MIN, 10 * MIN + 500, "a", true).startMs())
                .isZero();
        // the gap runs from the end of the previous request
        assertThat(sessions.assign("s", 40 * MIN + 500, 41 * MIN, "a", true).startMs())
                .isZero();
        assertThat(sessions.assign("s", 71 * MIN + 1, 72 * MIN, "a", true).startMs())
                .isEqualTo(71 * MIN + 1);
        assertThat(sessions.assign("other", 72 * MIN, 72 * MIN, "a", true).startMs())
                .isEqualTo(72 * MIN);
        assertThat(sessions.size()).isEqualTo(2);
    }

    @Test
    void aSwitchIsASuccessfulRequestServedByAnotherModelThanThePreviousSuccessfulOne() {
        final SessionTracker sessions = new SessionTracker(30 * MIN);
        assertThat(sessions.assign("s", 0, 1, "a", true).switchedFrom()).isNull();
        assertThat(sessions.assign("s", 2, 3, "a", true).switchedFrom()).isNull();
        assertThat(sessions.assign("s", 4, 5, "b", false).switchedFrom())
                .as("a failed request switches nothing").isNull();
        assertThat(sessions.assign("s", 6, 7, null, true).switchedFrom()).isNull();
        assertThat(sessions.assign("s", 8, 9, "b", true).switchedFrom()).isEqualTo("a");
        assertThat(sessions.assign("s", 10, 11, "b", true).switchedFrom()).isNull();
        assertThat(sessions.assign("s", 12, 13, "a", true).switchedFrom()).isEqualTo("b");
        // a new session starts without a previous model
        assertThat(sessions.assign("s", 31 * MIN + 14, 31 * MIN + 15, "c", true)
                .switchedFrom()).isNull();
    }

    @Test
    void aLongRequestKeepsItsSessionOpenAndLateEventsJoinIt() {
        final SessionTracker sessions = new SessionTracker(30 * MIN);
        sessions.assign("s", 0, 40 * MIN, "a", true);
        assertThat(sessions.assign("s", 60 * MIN, 60 * MIN, "a", true).startMs()).isZero();
        // an event that arrived earlier but finished later
        assertThat(sessions.assign("s", 59 * MIN, 61 * MIN, "a", true).startMs()).isZero();
    }

    @Test
    void restoredSessionsContinueAfterARestart() {
        final SessionTracker sessions = new SessionTracker(30 * MIN);
        sessions.restore("s", 5 * MIN, 6 * MIN, "a", true);
        sessions.restore("s", 5 * MIN, 7 * MIN, "b", false);
        sessions.restore("t", 1 * MIN, 2 * MIN, null, true);
        final SessionTracker.Assignment next = sessions.assign("s", 8 * MIN, 9 * MIN, "b", true);
        assertThat(next.startMs()).isEqualTo(5 * MIN);
        assertThat(next.switchedFrom()).isEqualTo("a");
        // a newer session of the same id replaces the older one
        sessions.restore("s", 50 * MIN, 51 * MIN, "c", true);
        assertThat(sessions.assign("s", 52 * MIN, 53 * MIN, "c", true).startMs())
                .isEqualTo(50 * MIN);
    }

    @Test
    void idleSessionsAreForgotten() {
        final SessionTracker sessions = new SessionTracker(30 * MIN);
        sessions.assign("old", 0, 1, "a", true);
        sessions.assign("new", 20 * MIN, 21 * MIN, "a", true);
        assertThat(sessions.prune(31 * MIN)).isEqualTo(1);
        assertThat(sessions.size()).isEqualTo(1);
        assertThat(new SessionTracker(0).assign("x", 5, 5, null, false).startMs()).isEqualTo(5);
    }
}
