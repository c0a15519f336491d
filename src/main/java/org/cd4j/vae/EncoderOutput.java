package org.cd4j.vae;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.Device;
import org.cd4j.nn.F;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;

/**
 * The VAE posterior, diffusers' {@code DiagonalGaussianDistribution}: the encoder's moments split
 * along channels into mean and log-variance, the log-variance clamped to [-30, 20] as diffusers
 * does (so {@code exp} neither underflows to a zero std nor overflows).
 */
public final class EncoderOutput {
    private final Tensor moments;
    private final Tensor mean;
    private final Tensor logvar;
    private final Tensor std;

    private EncoderOutput(Tensor moments, Tensor mean, Tensor logvar, Tensor std) {
        this.moments = moments;
        this.mean = mean;
        this.logvar = logvar;
        this.std = std;
    }

    /**
     * The posterior of {@code moments} (B, 2C, h, w) = {@code quant_conv(encoder(x))}; also the
     * entry point for a tiled encoder that blends moments itself.
     */
    public static EncoderOutput fromMoments(Tensor moments) {
        if (moments.dim() != 4 || moments.size(1) % 2 != 0) {
            throw new IllegalArgumentException("VAE moments must be (B, 2C, h, w), got "
                    + java.util.Arrays.toString(Tensors.shape(moments)));
        }
        // narrow, not chunk: a TensorVector's elements are borrowed from the vector, and the vector
        // (local here) could be collected while this posterior still uses them
        long c = moments.size(1) / 2;
        Tensor mean = moments.narrow(1, 0, c);                          // (B, C, h, w) view
        Tensor logvar = F.clamp(moments.narrow(1, c, c), -30.0, 20.0); // (B, C, h, w)
        Tensor std = F.mul(logvar, 0.5).exp();
        return new EncoderOutput(moments, mean, logvar, std);
    }

    /** (B, 2C, h, w): mean and raw (unclamped) log-variance, as the encoder produced them. */
    public Tensor moments() {
        return moments;
    }

    /** (B, C, h, w), also the distribution's mode. */
    public Tensor mean() {
        return mean;
    }

    /** (B, C, h, w), clamped to [-30, 20]. */
    public Tensor logvar() {
        return logvar;
    }

    /** (B, C, h, w) {@code exp(0.5 * logvar)}. */
    public Tensor std() {
        return std;
    }

    /** The mode of the posterior: its mean. */
    public Tensor mode() {
        return mean;
    }

    /**
     * A sample {@code mean + std * eps}, drawing {@code eps} as diffusers does: one {@code randn}
     * of the mean's shape from {@code rng}, so the same seed gives diffusers' latents. The draw is
     * float32 (cast to the moments' dtype afterwards); diffusers draws directly in the moments'
     * dtype, so fp16/bf16 samples may differ from it in the last bits.
     */
    public Tensor sample(Rng rng) {
        Tensor eps = Device.of(mean).put(rng.randn(Tensors.shape(mean))); // drawn on the CPU generator: same numbers on every device
        // Compare by value: JavaCPP hands back fresh ScalarType instances, so == on the enum fails.
        if (mean.scalar_type().value != torch.ScalarType.Float.value) eps = eps.to(mean.scalar_type());
        return mean.add(std.mul(eps));
    }
}
