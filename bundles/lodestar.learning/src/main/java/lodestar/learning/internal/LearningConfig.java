package lodestar.learning.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the learning loop (PID {@code lodestar.learning}). Without the file the
 * defaults apply, and the defaults keep nothing: {@code collect=false}.
 */
@ObjectClassDefinition(name = "Lodestar learning loop",
        description = "Opt-in collection of exchanges for fine-tuning, datasets, training and "
                + "the model registry")
public @interface LearningConfig {

    /** @return whether exchanges are kept for training (the operator's opt-in) */
    @AttributeDefinition(description = "true keeps the content of successful exchanges for "
            + "training (secrets and e-mail addresses are scrubbed first); false keeps none")
    boolean collect() default false;

    /** @return the DataSource filter */
    @AttributeDefinition(name = "dataSource.target",
            description = "Filter selecting the shared DataSource")
    String dataSource_target() default "(dataSourceName=lodestar)";

    /** @return exchanges waiting to be written */
    @AttributeDefinition(description = "Exchanges waiting to be written; beyond, dropped and "
            + "counted")
    int queueSize() default 1000;

    /** @return largest exchange stored */
    @AttributeDefinition(description = "Exchanges whose request+answer JSON exceeds this many "
            + "characters are not stored (counted as tooLarge)")
    int maxStoredChars() default 2_000_000;

    /** @return models whose answers are not collected */
    @AttributeDefinition(description = "Regular expression (whole match) of served model ids "
            + "whose answers are not collected; default: the registry's own versions "
            + "(lodestar-<name>:v<N>), so a model is never trained on its own answers; empty = "
            + "collect every model's answers")
    String excludeModels() default "lodestar-.*";

    /** @return extra scrubbing patterns */
    @AttributeDefinition(description = "Extra regular expressions whose matches are replaced "
            + "by [REDACTED] before anything is stored, comma-separated")
    String[] scrubPatterns() default {};

    /** @return accepted finish reasons */
    @AttributeDefinition(description = "Finish reasons an answer may have to be trained on "
            + "(length = truncated, never accepted by default)")
    String[] acceptFinishReasons() default {"stop"};

    /** @return refusal regex */
    @AttributeDefinition(description = "Answers matching this regular expression (find) are "
            + "refusals and are excluded; empty = no refusal check")
    String refusalPattern() default "(?i)^\\s*(I'?m sorry|I am sorry|I apologi[sz]e|"
            + "I can(?:no|')t (?:help|assist|do|comply|provide)|I am unable to|"
            + "I'?m unable to|As an AI\\b)";

    /** @return shortest prompt */
    @AttributeDefinition(description = "Fewest characters of the last user message")
    int minPromptChars() default 1;

    /** @return longest prompt */
    @AttributeDefinition(description = "Most characters of the whole conversation sent")
    int maxPromptChars() default 100_000;

    /** @return shortest answer */
    @AttributeDefinition(description = "Fewest characters of the answer (tool calls count as "
            + "their JSON)")
    int minAnswerChars() default 1;

    /** @return longest answer */
    @AttributeDefinition(description = "Most characters of the answer")
    int maxAnswerChars() default 50_000;

    /** @return near-duplicate threshold */
    @AttributeDefinition(description = "Estimated Jaccard similarity (MinHash over word "
            + "shingles) at or above which an exchange is a near-duplicate of an earlier one; "
            + "1 or more = exact duplicates only")
    double nearDuplicateThreshold() default 0.85;

    /** @return shingle size */
    @AttributeDefinition(description = "Words per shingle for near-duplicate detection")
    int shingleWords() default 5;

    /** @return require positive feedback */
    @AttributeDefinition(description = "true keeps only exchanges rated above 0; false keeps "
            + "unrated ones too (negative ratings are always excluded)")
    boolean requirePositiveFeedback() default false;

    /** @return validation share */
    @AttributeDefinition(description = "Percent of exchanges (by a hash of the request id) put "
            + "in the validation file, 0..50")
    int validationPercent() default 10;

    /** @return the registry name of trained models */
    @AttributeDefinition(description = "Registry name of trained models (lodestar-<name>:v<N> "
            + "in Ollama)")
    String modelName() default "coder";

    /** @return base model for the trainer */
    @AttributeDefinition(description = "Base model the trainer loads (Hugging Face id or path)")
    String baseModel() default "meta-llama/Llama-3.2-1B-Instruct";

    /** @return the Ollama base */
    @AttributeDefinition(description = "The same base model as Ollama names it (FROM of the "
            + "adapter); empty = adapters are not deployed to Ollama")
    String ollamaBaseModel() default "llama3.2:1b";

    /** @return Ollama URL */
    @AttributeDefinition(description = "Ollama base URL adapters are deployed to")
    String ollamaUrl() default "http://127.0.0.1:11434";

    /** @return training backend */
    @AttributeDefinition(description = "Training backend used by default: command or "
            + "openai-finetune")
    String backend() default "command";

    /** @return hyper-parameters */
    @AttributeDefinition(description = "Default hyper-parameters handed to the trainer, "
            + "key=value")
    String[] hyperParameters() default {"epochs=1", "learning_rate=0.0002", "lora_r=16",
        "lora_alpha=32", "lora_dropout=0.05", "max_seq_len=2048", "batch_size=1",
        "grad_accum=8"};

    /** @return the admin key's name */
    @AttributeDefinition(description = "Name of the proxy key (lodestar.router .proxyKeys, "
            + "name:key) allowed to use /api/learning when proxy keys are configured")
    String adminKeyName() default "admin";
}
