package lodestar.routing.auto.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Prints decision latency with the shipped model on the project's dev prompts and on long
 * coding turns. It only PRINTS: timings on a shared build machine, under the JaCoCo agent, are
 * no test. Clean figures: {@code scripts/bench-routing.sh}.
 */
class DecisionLatencyTest {

    @Test
    void printsDecisionLatency() throws IOException {
        final String report = RoutingTool.run("bench", Fixtures.devFile().toString(),
                "--rounds", "2");
        System.out.print(report);

        assertThat(report).contains("dev.jsonl (mean ").contains("coding turns (mean ")
                .contains("p99=");
    }
}
