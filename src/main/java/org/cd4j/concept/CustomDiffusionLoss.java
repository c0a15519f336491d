package org.cd4j.concept;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.F;

/**
 * The reference training loss (diffusers paths, reference §0.3 and §1.4):
 * <pre>
 *   instance = mean_b( Σ_{c,h,w} (pred − target)² · mask / Σ_{h,w} mask )
 *   prior    = mean( (pred_prior − target_prior)² )
 *   loss     = instance + prior_loss_weight · prior
 * </pre>
 * The instance term sums the 4 latent channels over a 1-channel mask count, so it is 4× a
 * per-element mean (with weight 1, instance:prior is effectively 4:1). cd4j keeps this factor by
 * default so reference learning rates and results carry over; {@code trueMean} divides it out.
 *
 * <p>The reference computes 0/0 = NaN for a sample whose augmentation left an empty mask (it
 * happens at small resolutions) and that NaN reaches every trained weight. Here such samples are
 * left out of the instance mean; when every instance sample is empty the instance term is 0.
 */
public final class CustomDiffusionLoss {
    private CustomDiffusionLoss() {}

    /** The loss and its two terms (0-d float32 tensors; {@code prior} is 0 without prior preservation). */
    public record Terms(Tensor loss, Tensor instance, Tensor prior, int emptyMasks) {}

    /**
     * @param pred      model output (B, C, h, w): the first {@code nInstance} rows are instance samples,
     *                  the rest prior (class) samples
     * @param target    the noise (epsilon) or velocity target, same shape
     * @param mask      (B, 1, h, w) loss mask; only the instance rows are used
     * @param nInstance instance rows; {@code B - nInstance} prior rows (0 without prior preservation)
     */
    public static Terms compute(Tensor pred, Tensor target, Tensor mask, int nInstance, double priorLossWeight,
                                boolean trueMean) {
        long b = pred.size(0);
        Tensor p = pred.to(torch.ScalarType.Float);
        Tensor t = target.to(torch.ScalarType.Float);
        Tensor pi = p.narrow(0, 0, nInstance);
        Tensor ti = t.narrow(0, 0, nInstance);
        Tensor mi = mask.narrow(0, 0, nInstance).to(torch.ScalarType.Float);
        Tensor se = pi.sub(ti).pow(new Scalar(2)); // (n, C, h, w)
        long[] sumDims = {1, 2, 3};
        Tensor num = se.mul(mi).sum(sumDims, false, new org.bytedeco.pytorch.ScalarTypeOptional()); // (n)
        Tensor den = mi.sum(sumDims, false, new org.bytedeco.pytorch.ScalarTypeOptional());        // (n)
        if (trueMean) den = den.mul(new Scalar(pred.size(1)));
        Tensor valid = den.gt(new Scalar(0));
        long nValid = valid.sum().item_long();
        Tensor instance;
        if (nValid == nInstance) {
            instance = num.div(den).mean();
        } else if (nValid == 0) {
            instance = num.sum().mul(new Scalar(0)); // keeps the graph, value 0
        } else {
            Tensor safe = torch.where(valid, den, torch.ones_like(den));
            instance = torch.where(valid, num.div(safe), torch.zeros_like(num)).sum().div(new Scalar(nValid));
        }
        Tensor prior;
        Tensor loss;
        if (b > nInstance) {
            prior = F.mseLoss(p.narrow(0, nInstance, b - nInstance), t.narrow(0, nInstance, b - nInstance));
            loss = instance.add(prior, new Scalar(priorLossWeight));
        } else {
            prior = torch.zeros_like(instance);
            loss = instance;
        }
        return new Terms(loss, instance, prior, (int) (nInstance - nValid));
    }
}
