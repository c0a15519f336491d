package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.RunOptions;
import org.cd4j.pipeline.Fixtures;
import org.cd4j.pipeline.StableDiffusion;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Device names, the clear refusal of CUDA where it cannot run, and the CPU as the default everywhere. */
class DeviceTest {
    @Test
    void parsesCpuAndCudaDevices() {
        assertThat(Device.parse("cpu")).isEqualTo(Device.CPU);
        assertThat(Device.parse(" CUDA ")).isEqualTo(new Device("cuda", -1));
        assertThat(Device.parse("cuda:1").index()).isEqualTo(1);
        assertThat(Device.parse("cuda:1")).hasToString("cuda:1");
        assertThat(Device.parse("cuda").isCpu()).isFalse();
        for (String bad : new String[] {"gpu", "cpu:0", "cuda:", "cuda:x", "", "tpu"}) {
            assertThatThrownBy(() -> Device.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected cpu, cuda or cuda:N");
        }
        assertThat(Device.CPU.requireAvailable()).isEqualTo(Device.CPU);
    }

    @Test
    void cudaIsRefusedWithTheReasonOnACpuBuild() {
        assumeFalse(torch.hasCUDA(), "this libtorch has CUDA");
        assertThatThrownBy(() -> Device.parse("cuda").requireAvailable()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("--device cuda").hasMessageContaining("CPU-only libtorch").hasMessageContaining("-Pcuda");
    }

    @Test
    void modelsAndOptionsDefaultToTheCpuAndMovingThereKeepsEveryParameter() throws Exception {
        assertThat(RunOptions.DEFAULT.device()).isEqualTo(Device.CPU);
        StableDiffusion sd = StableDiffusion.load(Fixtures.tinySd1(), DType.F32);
        assertThat(sd.device()).isEqualTo(Device.CPU);
        assertThat(sd.vae().device()).isEqualTo(Device.CPU);
        Map<String, Tensor> before = sd.unet().namedParameters();
        Tensor w = before.values().iterator().next();
        double v = w.flatten().select(0, 0).item_double();
        sd.to(Device.CPU);
        Tensor after = sd.unet().namedParameters().values().iterator().next();
        assertThat(after).isSameAs(w);
        assertThat(after.flatten().select(0, 0).item_double()).isEqualTo(v);
        Tensor x = Tensors.scalar(1.0);
        assertThat(Device.CPU.put(x)).as("no copy when already there").isSameAs(x);
        assertThat(Device.of(x)).isEqualTo(Device.CPU);
    }
}
