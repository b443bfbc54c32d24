package lodestar.api.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import lodestar.api.provider.ModelInfo;
import org.junit.jupiter.api.Test;

class RoutingContractTest {

    @Test
    void contextAndDecisionNormaliseNulls() {
        final RoutingContext context = new RoutingContext("auto", null, null, null, null);
        final RouteDecision decision = new RouteDecision(null, "fixed", null);

        assertThat(context.headers()).isEmpty();
        assertThat(context.settings()).isEmpty();
        assertThat(context.available()).isEmpty();
        assertThat(decision.candidates()).isEmpty();
        assertThat(decision.explanation()).isEmpty();
    }

    @Test
    void decisionKeepsCandidateOrder() {
        final ModelInfo a = new ModelInfo("a", "p", 0, false, false, true, 0, 0);
        final ModelInfo b = new ModelInfo("b", "p", 0, false, false, false, 1e-6, 1e-6);

        assertThat(new RouteDecision(List.of(b, a), "fallback", "b then a").candidates())
                .containsExactly(b, a);
    }
}
