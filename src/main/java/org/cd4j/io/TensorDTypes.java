package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;

/** The {@link DType} of a tensor about to be written, with an error that names the tensor. */
final class TensorDTypes {
    private TensorDTypes() {}

    /** The tensor's dtype, or null when cd4j has no {@link DType} for it (complex, fp8 ...). */
    static DType ofOrNull(Tensor t) {
        try {
            return DType.of(t.scalar_type());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The tensor's dtype; {@code what} names the tensor in the error. */
    static DType of(Tensor t, String what) {
        DType d = ofOrNull(t);
        if (d == null) {
            throw new IllegalArgumentException(what + " has libtorch dtype " + t.scalar_type()
                    + ", which cd4j cannot store; expected float32/16, bfloat16, float64, an integer type or bool");
        }
        return d;
    }
}
