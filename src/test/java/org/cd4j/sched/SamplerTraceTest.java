package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cd4j.sched.SchedFixtures.assertClose;
import static org.cd4j.sched.SchedFixtures.tensor;

/**
 * Each sampler against diffusers 0.21.4's 5-step trace on tiny-sd1's scheduler config (PNDM's,
 * resolved per class by from_config): timesteps exactly (value and dtype), sigmas, init noise
 * sigma, and every step's model input and output latents, with the fake model
 * {@code model_output = 0.1 * model_input + fake.fixed}.
 */
class SamplerTraceTest {
    static final double TOL = 1e-4;

    @ParameterizedTest(name = "{1} from the model config")
    @CsvSource({"ddim,ddim", "pndm,pndm", "euler,euler", "euler_a,euler-a", "dpmpp,dpm++2m"})
    void matchesDiffusersTraceFromModelConfig(String key, String name) {
        runTrace(key, Samplers.create(name, SchedFixtures.modelConfig()));
    }

    @ParameterizedTest(name = "{1} from diffusers' resolved config")
    @CsvSource({"ddim,ddim", "pndm,pndm", "euler,euler", "euler_a,euler-a", "dpmpp,dpm++2m"})
    void matchesDiffusersTraceFromResolvedConfig(String key, String name) {
        // index.json's configs carry _use_default_values: those keys must fall back to the class defaults.
        runTrace(key, Samplers.create(name, SchedFixtures.resolvedConfig(key)));
    }

    private static void runTrace(String key, Sampler s) {
        int steps = SchedFixtures.schedulers().get(key).get("num_inference_steps").asInt();
        s.setTimesteps(steps);

        Tensor refTs = tensor(key + ".timesteps");
        // scalar_type() compared by value (JavaCPP returns fresh enum instances, so DType.of misses them).
        assertThat(s.timesteps().scalar_type().value).as("timesteps dtype").isEqualTo(refTs.scalar_type().value);
        if (refTs.scalar_type().value == DType.I64.scalarType.value) {
            assertThat(Tensors.toLongs(s.timesteps())).as("timesteps").containsExactly(Tensors.toLongs(refTs));
        } else {
            assertThat(Tensors.toFloats(s.timesteps())).as("timesteps").containsExactly(Tensors.toFloats(refTs));
        }
        assertThat(s.numSteps()).isEqualTo((int) refTs.size(0));
        float[] ts = Tensors.toFloats(refTs);
        for (int i = 0; i < ts.length; i++) assertThat(s.timestep(i)).isEqualTo(ts[i]);

        float refSigma = Tensors.toFloats(tensor(key + ".init_noise_sigma"))[0];
        assertThat((float) s.initNoiseSigma()).as("init_noise_sigma").isEqualTo(refSigma);
        double worst = 0;
        if (key.startsWith("euler") || key.equals("dpmpp")) {
            worst = Math.max(worst, assertClose("sigmas", s.sigmas(), tensor(key + ".sigmas"), 1e-6));
        }

        Tensor fixed = tensor("fake.fixed");
        Tensor refIn = tensor(key + ".model_input");
        Tensor refOut = tensor(key + ".latents_out");
        Tensor stepNoise = key.equals("euler_a") ? tensor("euler_a.step_noise") : null;
        AtomicInteger draws = new AtomicInteger();
        NoiseSource noise = shape -> {
            int k = draws.getAndIncrement();
            return stepNoise != null ? stepNoise.select(0, k).unsqueeze(0).clone() : torch.zeros(shape, Tensors.options(DType.F32));
        };

        Tensor latents = F.mul(tensor("fake.init_noise"), s.initNoiseSigma());
        assertClose("latents_in[0]", latents, tensor(key + ".latents_in").select(0, 0).unsqueeze(0), TOL);
        for (int i = 0; i < s.numSteps(); i++) {
            Tensor in = s.scaleModelInput(latents, i);
            worst = Math.max(worst, assertClose(key + " model_input[" + i + "]", in, refIn.select(0, i).unsqueeze(0), TOL));
            Tensor out = F.mul(in, 0.1).add(fixed);
            latents = s.step(out, i, latents, noise);
            worst = Math.max(worst, assertClose(key + " latents_out[" + i + "]", latents, refOut.select(0, i).unsqueeze(0), TOL));
        }
        // Noise is drawn where diffusers draws it: every Euler / Euler-a step, never for DDIM(eta 0), PNDM, DPM-Solver.
        int expectedDraws = key.startsWith("euler") ? s.numSteps() : 0;
        assertThat(draws.get()).as("noise draws").isEqualTo(expectedDraws);
        System.out.printf("sched trace %-8s worst relative diff %.3g%n", key, worst);
    }
}
