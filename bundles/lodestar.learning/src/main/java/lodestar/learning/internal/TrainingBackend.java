package lodestar.learning.internal;

import java.nio.file.Path;
import java.util.Map;

/**
 * A way to train an adapter from a dataset: a whiteboard service inside this bundle, registered
 * with the service property {@value #PROPERTY} naming it ({@code command},
 * {@code openai-finetune}); {@link TrainingService} picks one by that name. {@code train} runs on
 * the training thread and returns when the adapter is ready; it polls
 * {@link Monitor#cancelled()} and gives up with {@link Cancelled} when asked to.
 */
public interface TrainingBackend {

    /** The service property naming a backend. */
    String PROPERTY = "lodestar.learning.backend";

    /**
     * One training job.
     *
     * @param id the job id
     * @param datasetId the dataset id
     * @param trainFile the dataset's {@code train.jsonl}
     * @param validationFile the dataset's {@code validation.jsonl}
     * @param workDir the job's folder (log, parameters)
     * @param outputDir where the adapter is to be written
     * @param baseModel the base model to adapt
     * @param params hyper-parameters
     */
    record Job(String id, String datasetId, Path trainFile, Path validationFile, Path workDir,
            Path outputDir, String baseModel, Map<String, String> params) {
    }

    /**
     * A finished training.
     *
     * @param adapterDir the folder holding the adapter
     * @param metrics final figures (loss, eval_loss, steps, ...)
     */
    record Result(Path adapterDir, Map<String, Object> metrics) {
    }

    /** What a backend reports while it trains. */
    interface Monitor {
        /**
         * A line of the trainer's log.
         *
         * @param line the line
         */
        void log(String line);

        /**
         * Progress.
         *
         * @param step the step reached
         * @param loss the training loss, or {@code null}
         * @param evalLoss the validation loss, or {@code null}
         */
        void progress(long step, Double loss, Double evalLoss);

        /** @return whether the job was cancelled (or Lodestar is stopping) */
        boolean cancelled();
    }

    /** The job was cancelled. */
    final class Cancelled extends Exception {
        private static final long serialVersionUID = 1L;

        /**
         * Creates one.
         *
         * @param message what happened
         */
        public Cancelled(final String message) {
            super(message);
        }
    }

    /**
     * Trains.
     *
     * @param job the job
     * @param monitor where to report
     * @return the adapter and final metrics
     * @throws Cancelled when cancelled
     * @throws Exception when training failed (the message says why)
     */
    Result train(Job job, Monitor monitor) throws Exception;
}
