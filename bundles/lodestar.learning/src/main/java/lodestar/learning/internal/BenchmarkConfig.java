package lodestar.learning.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the quality benchmark and of the approval gate (PID
 * {@code lodestar.learning.benchmark}; both exist only with this configuration, and do nothing
 * while {@code evaluationSet} is empty).
 */
@ObjectClassDefinition(name = "Lodestar learning: quality benchmark",
        description = "Runs an evaluation set through the router against a model version and "
                + "the live version; approval of a candidate scoring below live is refused")
public @interface BenchmarkConfig {

    /** @return the evaluation set */
    @AttributeDefinition(description = "JSONL evaluation set: one {\"id\", \"prompt\" or "
            + "\"messages\", \"check\": {\"type\": exact|regex|contains|unit_test, ...}} per "
            + "line; empty = no benchmark and no approval gate")
    String evaluationSet() default "";

    /** @return the router */
    @AttributeDefinition(description = "OpenAI-compatible base URL the prompts are sent to "
            + "(POST {routerUrl}/chat/completions): the router itself")
    String routerUrl() default "http://127.0.0.1:4000/v1";

    /** @return the key */
    @AttributeDefinition(type = AttributeType.PASSWORD, description = "Proxy key sent as "
            + "Bearer, or ${env:NAME} / $[env:NAME]; empty = none (open proxy)")
    String _apiKey() default "";

    /** @return the model id template */
    @AttributeDefinition(description = "Model id sent to the router; {model} = the version's "
            + "Ollama name (deployedAs, else lodestar-<name>:v<N>), e.g. ollama/{model}")
    String modelTemplate() default "{model}";

    /** @return the per-prompt limit */
    @AttributeDefinition(description = "Seconds one prompt may take (request and answer)")
    int timeoutSeconds() default 120;

    /** @return the parallel prompts */
    @AttributeDefinition(description = "Prompts evaluated at the same time (1..8)")
    int concurrency() default 2;

    /** @return the answer limit */
    @AttributeDefinition(description = "max_tokens of every request (temperature is 0)")
    int maxTokens() default 1024;

    /** @return the test commands */
    @AttributeDefinition(description = "unit_test runners, language=command template, "
            + "comma-separated; the template is split at spaces and run without a shell; "
            + "{file} = the program file, {dir} = its fresh temporary folder")
    String testCommands() default "python=python3 {file},sh=sh {file},java=java {file}";

    /** @return whether test programs get network */
    @AttributeDefinition(description = "Network of unit_test programs: auto = none where this "
            + "machine allows it (unshare --user --net), else with a warning in the log; on = "
            + "never (a test that cannot be isolated fails); off = the machine's network")
    String testNetwork() default "auto";

    /** @return the test limit */
    @AttributeDefinition(description = "Seconds a unit_test program may run before it and its "
            + "children are killed")
    int testTimeoutSeconds() default 20;

    /** @return the output cap */
    @AttributeDefinition(description = "Characters of a test program's output kept")
    int maxOutputChars() default 4000;

    /** @return whether candidates are deployed for evaluation */
    @AttributeDefinition(description = "Deploy a not yet deployed candidate's adapter to "
            + "Ollama (as lodestar-<name>:v<N>, ollamaUrl of lodestar.learning) so the router "
            + "can reach it; it stays a candidate")
    boolean deployCandidates() default true;
}
