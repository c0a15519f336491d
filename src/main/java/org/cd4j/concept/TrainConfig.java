package org.cd4j.concept;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.util.List;

/**
 * Every setting of a Custom Diffusion run. Property names in JSON are the {@code cd4j train}
 * flag names ({@code instance-data-dir}, {@code learning-rate} …), so the {@code config.json}
 * written beside the delta replays the run with {@code cd4j train --config}. Defaults follow
 * diffusers' {@code train_custom_diffusion.py}, except {@code max-train-steps} (250, the
 * paper's single-concept setting, instead of "one epoch").
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record TrainConfig(
        String model,
        String output,
        String instanceDataDir,
        String instancePrompt,
        String classDataDir,
        String classPrompt,
        String conceptsList,
        String modifierToken,
        String initializerToken,
        boolean withPriorPreservation,
        boolean realPrior,
        double priorLossWeight,
        int numClassImages,
        int sampleBatchSize,
        int priorGenerationSteps,
        int resolution,
        int trainBatchSize,
        double learningRate,
        boolean scaleLr,
        String lrScheduler,
        int lrWarmupSteps,
        int maxTrainSteps,
        boolean hflip,
        boolean noAug,
        boolean centerCrop,
        String freezeModel,
        long seed,
        int checkpointingSteps,
        int checkpointsTotalLimit,
        String validationPrompt,
        int validationSteps,
        int numValidationImages,
        int gradientAccumulationSteps,
        double maxGradNorm,
        double adamBeta1,
        double adamBeta2,
        double adamWeightDecay,
        double adamEpsilon,
        String mixedPrecision,
        boolean trueMeanLoss,
        String corruptImages,
        boolean gradientCheckpointing) {

    public TrainConfig {
        require(model != null && !model.isBlank(), "--model is required");
        require(output != null && !output.isBlank(), "--output is required");
        boolean single = instanceDataDir != null || instancePrompt != null;
        require(single != (conceptsList != null),
                "give either --instance-data-dir with --instance-prompt, or --concepts-list (not both)");
        if (single) {
            require(instanceDataDir != null, "--instance-data-dir is required with --instance-prompt");
            require(instancePrompt != null && !instancePrompt.isBlank(), "--instance-prompt is required with --instance-data-dir");
            if (withPriorPreservation) {
                require(classPrompt != null && !classPrompt.isBlank() || realPrior,
                        "--class-prompt is required with --with-prior-preservation");
                require(classDataDir != null, "--class-data-dir is required with --with-prior-preservation");
            }
        }
        require(resolution >= 8 && resolution % 8 == 0, "--resolution must be a positive multiple of 8, got " + resolution);
        require(trainBatchSize >= 1, "--train-batch-size must be at least 1, got " + trainBatchSize);
        require(maxTrainSteps >= 1, "--max-train-steps must be at least 1, got " + maxTrainSteps);
        require(gradientAccumulationSteps >= 1, "--gradient-accumulation-steps must be at least 1");
        require(numClassImages >= 1, "--num-class-images must be at least 1");
        require(sampleBatchSize >= 1, "--sample-batch-size must be at least 1");
        require(priorGenerationSteps >= 1, "--prior-generation-steps must be at least 1");
        require(checkpointingSteps >= 0, "--checkpointing-steps must be >= 0 (0: none)");
        require(checkpointsTotalLimit >= 0, "--checkpoints-total-limit must be >= 0 (0: keep all)");
        require(validationSteps >= 1, "--validation-steps must be at least 1");
        require(numValidationImages >= 1, "--num-validation-images must be at least 1");
        require(priorLossWeight >= 0 && Double.isFinite(priorLossWeight), "--prior-loss-weight must be >= 0");
        require(maxGradNorm >= 0, "--max-grad-norm must be >= 0 (0: no clipping)");
        require(learningRate > 0 && Double.isFinite(learningRate), "--learning-rate must be positive");
        require(adamBeta1 >= 0 && adamBeta1 < 1 && adamBeta2 >= 0 && adamBeta2 < 1, "--adam-beta1/2 must lie in [0, 1)");
        require(adamEpsilon > 0 && adamWeightDecay >= 0, "--adam-epsilon must be > 0 and --adam-weight-decay >= 0");
        require(List.of("no", "bf16", "fp16").contains(mixedPrecision), "--mixed-precision must be no, bf16 or fp16");
        require(List.of("refuse", "skip").contains(corruptImages), "--corrupt-images must be refuse or skip");
        require(modifierToken != null && !modifierToken.isBlank(), "--modifier-token is required, e.g. \"<new1>\"");
        TrainMode.parse(freezeModel);
        new LrSchedule(lrScheduler, learningRate, lrWarmupSteps, maxTrainSteps);
    }

    /** The settings without gradient checkpointing. */
    public TrainConfig(String model, String output, String instanceDataDir, String instancePrompt, String classDataDir,
                       String classPrompt, String conceptsList, String modifierToken, String initializerToken,
                       boolean withPriorPreservation, boolean realPrior, double priorLossWeight, int numClassImages,
                       int sampleBatchSize, int priorGenerationSteps, int resolution, int trainBatchSize, double learningRate,
                       boolean scaleLr, String lrScheduler, int lrWarmupSteps, int maxTrainSteps, boolean hflip, boolean noAug,
                       boolean centerCrop, String freezeModel, long seed, int checkpointingSteps, int checkpointsTotalLimit,
                       String validationPrompt, int validationSteps, int numValidationImages, int gradientAccumulationSteps,
                       double maxGradNorm, double adamBeta1, double adamBeta2, double adamWeightDecay, double adamEpsilon,
                       String mixedPrecision, boolean trueMeanLoss, String corruptImages) {
        this(model, output, instanceDataDir, instancePrompt, classDataDir, classPrompt, conceptsList, modifierToken,
                initializerToken, withPriorPreservation, realPrior, priorLossWeight, numClassImages, sampleBatchSize,
                priorGenerationSteps, resolution, trainBatchSize, learningRate, scaleLr, lrScheduler, lrWarmupSteps,
                maxTrainSteps, hflip, noAug, centerCrop, freezeModel, seed, checkpointingSteps, checkpointsTotalLimit,
                validationPrompt, validationSteps, numValidationImages, gradientAccumulationSteps, maxGradNorm, adamBeta1,
                adamBeta2, adamWeightDecay, adamEpsilon, mixedPrecision, trueMeanLoss, corruptImages, false);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** The JSON mapper for config files (kebab-case names = flag names). */
    public static ObjectMapper json() {
        return new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                .enable(SerializationFeature.INDENT_OUTPUT);
    }

    public TrainMode mode() {
        return TrainMode.parse(freezeModel);
    }

    /** The learning rate after {@code --scale-lr}. */
    public double effectiveLearningRate() {
        return scaleLr ? LrSchedule.scaled(learningRate, gradientAccumulationSteps, trainBatchSize, 1, withPriorPreservation)
                : learningRate;
    }

    public LrSchedule schedule() {
        return new LrSchedule(lrScheduler, effectiveLearningRate(), lrWarmupSteps, maxTrainSteps);
    }

    /** The modifier tokens in order. */
    public List<String> modifierTokens() {
        return ModifierTokens.parse(modifierToken, "--modifier-token");
    }

    /** The initializer tokens ({@code ktn+pll+ucd} by default). */
    public List<String> initializerTokens() {
        return initializerToken == null ? ModifierTokens.DEFAULT_INITIALIZERS : ModifierTokens.parse(initializerToken, "--initializer-token");
    }
}
